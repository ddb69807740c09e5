// Scheduled replication: each enabled scheduled rule's next cron time, kept per worker. A
// tick fires once however many workers watch it: the execution's (rule, scheduled time)
// is unique, so the others' inserts find it taken.
import { Cron } from 'croner';
import type { Queryer } from '../../server/db/database.js';
import { scheduledRules } from '../../server/db/replicationPolicies.js';

export class Schedules {
  private readonly next = new Map<number, { cron: string; next: Date | null }>();

  /** The rules whose time has come, each with the time it was due; moves each past now. */
  async due(q: Queryer, now: Date): Promise<Array<{ policyId: number; at: Date }>> {
    const rules = await scheduledRules(q);
    for (const id of this.next.keys()) if (!rules.some((r) => r.id === id)) this.next.delete(id);
    const due: Array<{ policyId: number; at: Date }> = [];
    for (const r of rules) {
      let s = this.next.get(r.id);
      if (!s || s.cron !== r.cron) {
        s = { cron: r.cron, next: new Cron(r.cron, { paused: true }).nextRun(now) };
        this.next.set(r.id, s);
      }
      if (!s.next || s.next > now) continue;
      due.push({ policyId: r.id, at: s.next });
      s.next = new Cron(r.cron, { paused: true }).nextRun(now);
    }
    return due;
  }
}
