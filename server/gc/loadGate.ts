// Garbage collection yields to pushes and pulls. The collector asks this gate before each
// batch. Every `probeEveryMs` the gate lets the batches in flight finish, holds new ones
// for `probeMs`, and measures how busy the machine's CPUs were meanwhile: with no batch
// running, what it sees is everyone else (the registry's requests, the database serving
// them). While that is above `busyShare`, batches run one at a time, each followed by a
// rest of `yieldFactor` times its length, so a run takes about 1/(1 + yieldFactor) of the
// time it would and still moves on; when the machine is quiet again, the full pace returns.
// CPU, not request counts, because a collector in the primary process cannot see the
// requests its workers serve, and the database's share counts too.
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BatchGate } from '../registry/gc.js';

export interface LoadGateSettings {
  probeEveryMs: number;
  probeMs: number;
  /** Share of all CPUs busy with others (0 to 1) above which the collector yields. */
  busyShare: number;
  yieldFactor: number;
}

export const defaultLoadGateSettings: LoadGateSettings = { probeEveryMs: 1000, probeMs: 100, busyShare: 0.25, yieldFactor: 19 };

interface CpuSample {
  idle: number;
  total: number;
}

function cpuSample(): CpuSample {
  let idle = 0;
  let total = 0;
  for (const c of os.cpus()) {
    idle += c.times.idle;
    total += c.times.user + c.times.nice + c.times.sys + c.times.idle + c.times.irq;
  }
  return { idle, total };
}

export class LoadGate implements BatchGate {
  private active = 0;
  private drained?: () => void;
  private probing?: Promise<void>;
  private nextProbeAt = 0;
  private nextSlotAt = 0;
  /** The last probe's reading, for the run's log. */
  busy = false;
  share = 0;
  /** How many probes found the machine busy, of how many. */
  readonly probes = { busy: 0, all: 0 };

  constructor(
    private readonly settings: LoadGateSettings = defaultLoadGateSettings,
    private readonly sample: () => CpuSample = cpuSample,
  ) {}

  async enter(): Promise<void> {
    for (;;) {
      if (this.probing) await this.probing;
      else if (Date.now() >= this.nextProbeAt) {
        this.probing = this.probe().finally(() => {
          this.probing = undefined;
        });
        await this.probing;
      }
      if (!this.busy) break;
      // Yielding: one batch at a time, and not before the last one's rest is over.
      const wait = Math.max(0, this.nextSlotAt - Date.now());
      if (this.active === 0 && wait === 0) break;
      await sleep(Math.min(Math.max(wait, 10), 50));
    }
    this.active++;
    // Taken at once, so a second worker waiting on the same slot does not slip through.
    if (this.busy) this.nextSlotAt = Number.POSITIVE_INFINITY;
  }

  leave(batchMs: number): void {
    this.active--;
    if (this.busy || this.nextSlotAt === Number.POSITIVE_INFINITY) this.nextSlotAt = Date.now() + batchMs * this.settings.yieldFactor;
    if (this.active === 0) this.drained?.();
  }

  private async probe(): Promise<void> {
    while (this.active > 0) await new Promise<void>((resolve) => (this.drained = resolve));
    this.drained = undefined;
    const before = this.sample();
    await sleep(this.settings.probeMs);
    const after = this.sample();
    const total = after.total - before.total;
    this.share = total > 0 ? 1 - (after.idle - before.idle) / total : 0;
    this.busy = this.share > this.settings.busyShare;
    this.probes.all++;
    if (this.busy) this.probes.busy++;
    else this.nextSlotAt = 0;
    this.nextProbeAt = Date.now() + this.settings.probeEveryMs;
  }
}
