// The tick of a single cron schedule as a server's poll sees it: each tick is due once per
// process (several servers all fire it; the run's unique tick time makes one run of it).
import { Cron } from 'croner';

export class ScheduleTick {
  private state?: { key: string; next: Date | null };

  /** The tick due by `now` (moving past it), or undefined; an empty cron never fires. */
  due(cron: string, now = new Date()): Date | undefined {
    const next = () => (cron ? new Cron(cron, { paused: true }).nextRun(now) : null);
    if (this.state?.key !== cron) this.state = { key: cron, next: next() };
    const at = this.state.next;
    if (!at || at > now) return undefined;
    this.state.next = next();
    return at;
  }
}
