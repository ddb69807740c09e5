// Pull counts and pull times, gathered in memory per process and written in one batch a
// few seconds later: a pull must not wait for (or contend on) a row update of its own.
// A process that dies loses at most its last few seconds of counts; the audit log keeps
// every pull regardless.
import type { Database } from '../db/database.js';
import { addPulls } from '../db/pullStats.js';
import type { Logger } from '../log/logger.js';

export class PullStats {
  private repositories = new Map<string, number>();
  private artifacts = new Set<string>();
  private tags = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    private readonly log?: Logger,
    intervalMs = 2000,
  ) {
    this.timer = setInterval(() => void this.flush(), intervalMs);
    this.timer.unref();
  }

  /** A pull of `digest` in `repository`, by `tag` when the client asked for one. */
  note(repository: string, digest: string, tag?: string): void {
    this.repositories.set(repository, (this.repositories.get(repository) ?? 0) + 1);
    this.artifacts.add(`${repository}@${digest}`);
    if (tag !== undefined) this.tags.add(`${repository}:${tag}`);
  }

  /** Writes what was gathered so far. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      if (!this.repositories.size) return;
      const repositories = [...this.repositories];
      // Neither a repository name nor a tag holds "@" or ":", so the last one splits them.
      const split = (key: string, at: string): [string, string] => [key.slice(0, key.lastIndexOf(at)), key.slice(key.lastIndexOf(at) + 1)];
      const artifacts = [...this.artifacts].map((a) => split(a, '@'));
      const tags = [...this.tags].map((t) => split(t, ':'));
      this.repositories = new Map();
      this.artifacts = new Set();
      this.tags = new Set();
      await this.db
        .tx((q) => addPulls(q, repositories, artifacts, tags, new Date()))
        .catch((err) => {
          // Counts are statistics: a failed batch is logged and dropped, never retried forever.
          this.log?.warn({ err }, 'pull statistics not written');
        });
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.flush();
  }
}
