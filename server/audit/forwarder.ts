// Forwards audit rows to syslog (RFC 5424) as they are committed. It tails the table
// rather than hooking the writers, so only committed rows go out, rows written by every
// server go out once (the cursor lives in audit_chain under a lock), and a syslog outage
// delays rows instead of losing them (over TCP; UDP is fire-and-forget by nature). On
// first use it starts at the current head rather than replaying history.
import syslog from 'syslog-client';
import type { Database } from '../db/database.js';
import { auditRowsAfter, chainState, setForwarded, type AuditRow } from '../db/audit.js';
import type { Logger } from '../log/logger.js';

const forwardLockId = 0x6265_7274_0003;

export interface SyslogTarget {
  transport: 'udp' | 'tcp';
  host: string;
  port: number;
}

export function parseSyslogUrl(url: string): SyslogTarget {
  const u = new URL(url);
  return { transport: u.protocol === 'tcp:' ? 'tcp' : 'udp', host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 514) };
}

/** The message: the row as JSON, after the RFC 5424 header the client writes. */
function message(r: AuditRow): string {
  return JSON.stringify({ ...r, op_time: new Date(r.op_time).toISOString() });
}

export class AuditForwarder {
  private readonly client: ReturnType<typeof syslog.createClient>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly db: Database,
    target: SyslogTarget,
    private readonly log?: Logger,
    private readonly intervalMs = 500,
  ) {
    this.client = syslog.createClient(target.host, {
      port: target.port,
      transport: target.transport === 'tcp' ? syslog.Transport.Tcp : syslog.Transport.Udp,
      rfc3164: false,
      appName: 'berth',
      facility: syslog.Facility.Audit,
      severity: syslog.Severity.Informational,
    });
    // The client emits transport errors; without a listener they would crash the process.
    this.client.on('error', (err: Error) => this.log?.warn({ err }, 'audit syslog transport error'));
  }

  /** Sets the cursor on first use (at the head: no replay of history), then tails every interval. */
  async start(): Promise<void> {
    await this.db.withExclusiveLock(forwardLockId, async (q) => {
      const state = await chainState(q);
      if (state.forwarded_id === 0 && state.last_id > 0) await setForwarded(q, state.last_id);
    });
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  /** Sends everything committed so far. */
  tick(): Promise<void> {
    this.running ??= this.forward()
      .catch((err) => this.log?.warn({ err }, 'audit syslog forwarding failed; will retry'))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  private async forward(): Promise<void> {
    await this.db.withExclusiveLock(forwardLockId, async (q) => {
      let after = (await chainState(q)).forwarded_id;
      for (;;) {
        const rows = await auditRowsAfter(q, after, 500);
        if (!rows.length) return;
        for (const r of rows) await this.send(message(r));
        after = rows[rows.length - 1].id;
        await setForwarded(q, after);
      }
    });
  }

  private send(text: string): Promise<void> {
    return new Promise((resolve, reject) => this.client.log(text, {}, (err?: Error) => (err ? reject(err) : resolve())));
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.tick();
    this.client.close();
  }
}
