// Runs a daemon (dockerd, containerd, a reference registry) as a child process with its
// output in a log file, and stops it by the PID we started — never by name, so that
// nothing else on the machine is touched.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync } from 'node:fs';
import { tail } from './run.js';

export interface Daemon {
  name: string;
  pid: number;
  logFile: string;
  log(): string;
  /** SIGTERM, then SIGKILL after graceMs; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

// Last resort if mocha exits without running the after hooks (e.g. an uncaught error):
// no daemon of ours may outlive the run.
const live = new Set<number>();
process.on('exit', () => {
  for (const pid of live) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Stops a process we own by PID (e.g. one named in a daemon's pidfile). */
export async function stopPid(pid: number, graceMs = 15_000): Promise<void> {
  if (!isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  if (await waitForExit(pid, graceMs)) return;
  process.kill(pid, 'SIGKILL');
  await waitForExit(pid, 5_000);
}

export function readPidFile(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export interface StartDaemonOptions {
  name: string;
  bin: string;
  args: string[];
  logFile: string;
  env?: Record<string, string>;
  /** Resolves true once the daemon serves requests. */
  ready: () => Promise<boolean>;
  readyTimeoutMs?: number;
}

export async function startDaemon(o: StartDaemonOptions): Promise<Daemon> {
  const fd = openSync(o.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(o.bin, o.args, { env: { ...process.env, ...o.env }, stdio: ['ignore', fd, fd] });
  } finally {
    closeSync(fd); // the child holds its own copy
  }
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${o.name}: could not spawn ${o.bin}`);
  // Reaps the child; the daemon is still addressed by PID, as the pidfile names it.
  child.on('error', () => {});
  live.add(pid);
  child.once('exit', () => live.delete(pid));
  const log = () => {
    try {
      return readFileSync(o.logFile, 'utf8');
    } catch {
      return '';
    }
  };
  const daemon: Daemon = {
    name: o.name,
    pid,
    logFile: o.logFile,
    log,
    stop: (graceMs) => stopPid(pid, graceMs),
  };
  const deadline = Date.now() + (o.readyTimeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${o.name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${tail(log())}`);
    }
    if (await o.ready().catch(() => false)) return daemon;
    if (Date.now() > deadline) {
      await daemon.stop(5_000);
      throw new Error(`${o.name} was not ready within ${o.readyTimeoutMs ?? 60_000} ms:\n${tail(log())}`);
    }
    await sleep(200);
  }
}
