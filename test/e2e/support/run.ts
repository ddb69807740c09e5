// A small process runner for driving the real clients. Every call captures stdout and
// stderr so that a failing step reports what the client said, not just an exit code.
import { spawn } from 'node:child_process';

export interface RunOptions {
  cwd?: string;
  /** Merged over process.env (clients need PATH, HOME, and their own config variables). */
  env?: Record<string, string | undefined>;
  /** Bytes written to stdin, then stdin is closed. Without it stdin is /dev/null. */
  input?: string | Buffer;
  /** Kill the process (SIGKILL) after this many ms; a hung client must not hang the suite. */
  timeoutMs?: number;
  /** Return the result instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
}

export interface RunResult {
  command: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** stdout as bytes, for clients that print binary content. */
  stdoutBytes: Buffer;
  stderr: string;
}

export class RunError extends Error {
  constructor(readonly result: RunResult) {
    super(
      `${result.command} failed (${result.signal ? `signal ${result.signal}` : `exit ${result.code}`})\n` +
        `--- stderr ---\n${tail(result.stderr)}\n--- stdout ---\n${tail(result.stdout)}`,
    );
  }
}

/** Keeps error messages readable: clients in debug mode print megabytes. */
export function tail(text: string, max = 8000): string {
  return text.length <= max ? text : `[…${text.length - max} chars cut…]\n${text.slice(-max)}`;
}

export function quoteArgs(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

export async function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const command = quoteArgs(cmd, args);
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (d: Buffer) => out.push(d));
  child.stderr!.on('data', (d: Buffer) => err.push(d));
  if (opts.input !== undefined) child.stdin!.end(opts.input);
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve({ code: c, signal: s }));
  }).finally(() => clearTimeout(timer));
  const stdoutBytes = Buffer.concat(out);
  const result: RunResult = {
    command,
    code,
    signal,
    stdout: stdoutBytes.toString('utf8'),
    stdoutBytes,
    stderr: Buffer.concat(err).toString('utf8'),
  };
  if (code !== 0 && !opts.allowFailure) throw new RunError(result);
  return result;
}
