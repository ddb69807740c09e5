// When a test fails, the interesting part is usually on the other side: the registry's
// log or a daemon's. Print their tails next to the failure.
import type { Context } from 'mocha';
import { tail } from './run.js';

export type LogSource = [label: string, text: () => string];

export function dumpLogsOnFailure(ctx: Context, sources: LogSource[]): void {
  if (ctx.currentTest?.state !== 'failed') return;
  for (const [label, text] of sources) {
    const t = text().trim();
    if (t) console.error(`\n----- ${label} (tail) -----\n${tail(t, 6000)}\n----- end ${label} -----`);
  }
}
