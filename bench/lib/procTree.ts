// Resident memory of a whole process tree, read from /proc. Berth runs as a cluster
// primary plus workers, so watching only the pid we spawned would miss where the
// requests (and any buffering) actually happen. Linux only.
import { readdir, readFile } from 'node:fs/promises';

export interface ProcessPeak {
  pid: number;
  comm: string;
  /** Largest VmRSS seen, or the kernel's VmHWM (peak RSS since start) if larger. */
  peakRssBytes: number;
}

export interface TreeMemoryPeak {
  /** Largest sum of VmRSS over the tree in one sample. Shared pages count once per process. */
  peakTotalBytes: number;
  /**
   * Largest sum of PSS (proportional set size: each shared page split among the processes
   * mapping it) in one sample: what the tree really takes, shared buffers counted once.
   */
  peakPssTotalBytes: number;
  /** Largest single process, over all processes ever seen in the tree. */
  peakProcessBytes: number;
  /** Most processes seen in the tree in one sample. */
  maxProcesses: number;
  samples: number;
  processes: ProcessPeak[];
}

interface StatLine {
  pid: number;
  ppid: number;
  comm: string;
}

// /proc/<pid>/stat is "pid (comm) state ppid ...", and comm may itself contain spaces
// and parentheses, so split at the last ')'.
function parseStat(text: string): StatLine | undefined {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return undefined;
  const rest = text.slice(close + 2).split(' ');
  return { pid: Number(text.slice(0, open).trim()), comm: text.slice(open + 1, close), ppid: Number(rest[1]) };
}

/**
 * The root and all its descendants. Scans every /proc/<pid>/stat because
 * /proc/<pid>/task/<tid>/children needs CONFIG_PROC_CHILDREN, which not every kernel has.
 */
export async function processTree(rootPid: number): Promise<StatLine[]> {
  const entries = await readdir('/proc');
  const all: StatLine[] = [];
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (e) => {
        try {
          const line = parseStat(await readFile(`/proc/${e}/stat`, 'utf8'));
          if (line) all.push(line);
        } catch {
          /* exited while we looked */
        }
      }),
  );
  const children = new Map<number, StatLine[]>();
  for (const p of all) {
    const list = children.get(p.ppid) ?? [];
    list.push(p);
    children.set(p.ppid, list);
  }
  const root = all.find((p) => p.pid === rootPid);
  if (!root) return [];
  const tree: StatLine[] = [];
  const stack = [root];
  while (stack.length > 0 && tree.length < 10_000) {
    const p = stack.pop()!;
    tree.push(p);
    stack.push(...(children.get(p.pid) ?? []));
  }
  return tree;
}

/** Pids whose command line (process title) matches, e.g. PostgreSQL backends of one database. */
export async function processesMatching(pattern: RegExp): Promise<number[]> {
  const found: number[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const cmdline = (await readFile(`/proc/${e}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      if (pattern.test(cmdline)) found.push(Number(e));
    } catch {
      /* exited while we looked */
    }
  }
  return found;
}

/** PSS in bytes from /proc/<pid>/smaps_rollup (Linux 4.14+), or undefined. */
export async function readPss(pid: number): Promise<number | undefined> {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(await readFile(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** VmRSS and VmHWM in bytes, or undefined if the process is gone (or is a zombie). */
export async function readRss(pid: number): Promise<{ rss: number; hwm: number } | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (field: string) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const rss = kb('VmRSS');
  if (rss === undefined) return undefined;
  return { rss, hwm: kb('VmHWM') ?? rss };
}

const TREE_RESCAN_MS = 1000;

/**
 * Samples the tree every `intervalMs` until stopped. Each sample awaits the previous one,
 * so a slow /proc never piles up reads.
 */
export class TreeMemorySampler {
  private readonly peaks = new Map<number, ProcessPeak>();
  private peakTotal = 0;
  private peakPssTotal = 0;
  private maxProcesses = 0;
  private samples = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  private tree: StatLine[] = [];
  private treeReadAt = 0;

  constructor(
    private readonly rootPid: number,
    private readonly intervalMs = 100,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<TreeMemoryPeak> {
    this.running = false;
    await this.loop;
    return this.result();
  }

  /** Takes one sample now; also usable without start() for a final reading. */
  async sample(): Promise<void> {
    // Walking all of /proc costs ~10 ms on a busy machine, reading a few status files
    // well under one, so the tree is only re-walked every second or when a process left.
    if (Date.now() - this.treeReadAt >= TREE_RESCAN_MS) await this.rescan();
    let total = 0;
    let pssTotal = 0;
    let counted = 0;
    for (const p of this.tree) {
      const mem = await readRss(p.pid);
      if (!mem) {
        this.treeReadAt = 0; // gone: find out who is still there on the next sample
        continue;
      }
      counted++;
      total += mem.rss;
      pssTotal += (await readPss(p.pid)) ?? mem.rss;
      const prev = this.peaks.get(p.pid);
      const peak = Math.max(mem.rss, mem.hwm, prev?.peakRssBytes ?? 0);
      this.peaks.set(p.pid, { pid: p.pid, comm: p.comm, peakRssBytes: peak });
    }
    if (counted === 0) return;
    this.samples++;
    this.peakTotal = Math.max(this.peakTotal, total);
    this.peakPssTotal = Math.max(this.peakPssTotal, pssTotal);
    this.maxProcesses = Math.max(this.maxProcesses, counted);
  }

  result(): TreeMemoryPeak {
    const processes = [...this.peaks.values()].sort((a, b) => b.peakRssBytes - a.peakRssBytes);
    return {
      peakTotalBytes: this.peakTotal,
      peakPssTotalBytes: this.peakPssTotal,
      peakProcessBytes: processes[0]?.peakRssBytes ?? 0,
      maxProcesses: this.maxProcesses,
      samples: this.samples,
      processes,
    };
  }

  private async rescan(): Promise<void> {
    this.tree = await processTree(this.rootPid);
    this.treeReadAt = Date.now();
  }

  private async run(): Promise<void> {
    while (this.running) {
      const started = Date.now();
      await this.sample();
      const wait = this.intervalMs - (Date.now() - started);
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
  }
}
