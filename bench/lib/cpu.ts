// CPU time, read from /proc. Throughput on a small shared machine moves with whatever
// else runs there; the registry's CPU seconds per unit of work move far less, and the
// machine's CPU not spent by the registry or the bench says how disturbed a run was.
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { processTree } from './procTree.js';

const TICKS_PER_S = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

export interface CpuSnapshot {
  at: number;
  /** Whole machine, all CPUs: non-idle and total seconds since boot. */
  machineBusyS: number;
  machineTotalS: number;
  /** The registry's process tree (user + system). */
  treeS: number;
  /** Per companion pid (see cpuSnapshot). */
  companionTimes: Map<number, number>;
  /** This process plus the children it waited for (wrk). */
  benchS: number;
  /** CPU seconds so far of the blob store's server (s3rver), when it is a process here. */
  storeS: number;
}

export interface CpuUse {
  wallS: number;
  registryS: number;
  companionS: number;
  benchS: number;
  /** The blob store server's CPU seconds (s3rver): neither the registry's nor other work. */
  storeS: number;
  /** Busy CPU seconds that were neither the registry, its store, nor the bench. */
  otherS: number;
  /** otherS as a share of the machine's capacity over the interval, 0..1. */
  otherShare: number;
}

// Fields after "pid (comm)": state is [0], utime [11], stime [12], cutime [13], cstime [14].
async function statTimes(pid: number | 'self'): Promise<{ own: number; children: number } | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const f = text
    .slice(text.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  return { own: (f[11] + f[12]) / TICKS_PER_S, children: (f[13] + f[14]) / TICKS_PER_S };
}

async function machineTimes(): Promise<{ busy: number; total: number }> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]; // "cpu  user nice system idle iowait irq softirq steal ..."
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((a, b) => a + b, 0);
  const idle = v[3] + v[4];
  return { busy: (total - idle) / TICKS_PER_S, total: total / TICKS_PER_S };
}

/**
 * `companions` are processes outside the tree that work for the registry (Berth's
 * PostgreSQL backends); their CPU is the registry's cost too. A companion that exits
 * between two snapshots takes its CPU time with it, so pools that keep connections open
 * are measured best.
 */
export async function cpuSnapshot(rootPid: number, companions: number[] = [], storePid?: number): Promise<CpuSnapshot> {
  const tree = await processTree(rootPid);
  let treeS = 0;
  for (const p of tree) {
    const t = await statTimes(p.pid);
    // Workers that exited and were reaped show up in their parent's children time.
    if (t) treeS += t.own + (p.pid === rootPid ? t.children : 0);
  }
  const companionTimes = new Map<number, number>();
  for (const pid of companions) {
    const t = await statTimes(pid);
    if (t) companionTimes.set(pid, t.own);
  }
  const self = await statTimes('self');
  const store = storePid === undefined ? undefined : await statTimes(storePid);
  const machine = await machineTimes();
  return {
    at: Date.now(),
    machineBusyS: machine.busy,
    machineTotalS: machine.total,
    treeS,
    companionTimes,
    benchS: self ? self.own + self.children : 0,
    storeS: store?.own ?? 0,
  };
}

export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot): CpuUse {
  // A companion absent at the start began in between, so all its time is in the interval.
  let companionS = 0;
  for (const [pid, end] of b.companionTimes) companionS += end - (a.companionTimes.get(pid) ?? 0);
  const registryS = b.treeS - a.treeS + companionS;
  const benchS = b.benchS - a.benchS;
  const storeS = b.storeS - a.storeS;
  const otherS = Math.max(0, b.machineBusyS - a.machineBusyS - registryS - benchS - storeS);
  const capacity = b.machineTotalS - a.machineTotalS;
  return { wallS: (b.at - a.at) / 1000, registryS, companionS, benchS, storeS, otherS, otherShare: capacity > 0 ? otherS / capacity : 0 };
}
