// Many small concurrent GETs against one URL for a fixed time. wrk is preferred: it is
// written in C, so on a small machine it leaves more CPU to the registry than a Node
// client would, and its latency percentiles are well understood. The Node loop is a
// fallback for machines without wrk; its numbers are lower and not comparable with wrk's.
import { execFile, spawnSync, type ChildProcess } from 'node:child_process';
import http from 'node:http';

export interface LoadOptions {
  url: string;
  headers: Record<string, string>;
  connections: number;
  durationS: number;
  /** wrk threads; ignored by the Node loop. */
  threads: number;
}

export interface LoadResult {
  tool: 'wrk' | 'node';
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses other than 2xx/3xx plus socket errors and timeouts. */
  errors: number;
  /** What the errors were, when there were any. */
  errorDetail: string;
}

const running = new Set<ChildProcess>();

/** Kills any wrk still running, for a bench that is being interrupted. */
export function stopLoad(): void {
  for (const child of running) child.kill('SIGKILL');
}

export function hasWrk(): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

export function runLoad(tool: 'wrk' | 'node', opts: LoadOptions): Promise<LoadResult> {
  return tool === 'wrk' ? loadWithWrk(opts) : loadWithNode(opts);
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function wrkMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text);
  if (!m) throw new Error(`cannot read wrk latency "${text}"`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

/** Reads the summary `wrk --latency` prints (wrk 4 format). */
export function parseWrk(out: string): LoadResult {
  const pick = (re: RegExp) => {
    const m = re.exec(out);
    if (!m) throw new Error(`unexpected wrk output (no ${re}):\n${out}`);
    return m;
  };
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  const errors = (socket ? socket.slice(1, 5).reduce((a, n) => a + Number(n), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0);
  // wrk leaves timed-out requests out of its percentiles, so timeouts must be visible.
  const errorDetail = [socket?.[0], non2xx?.[0]].filter(Boolean).join('; ');
  return {
    tool: 'wrk',
    requests: Number(pick(/(\d+) requests in/)[1]),
    perSecond: Number(pick(/Requests\/sec:\s+([\d.]+)/)[1]),
    p50Ms: wrkMs(pick(/^\s+50%\s+(\S+)/m)[1]),
    p99Ms: wrkMs(pick(/^\s+99%\s+(\S+)/m)[1]),
    errors,
    errorDetail,
  };
}

function loadWithWrk(o: LoadOptions): Promise<LoadResult> {
  const args = [
    `-t${Math.min(o.threads, o.connections)}`,
    `-c${o.connections}`,
    `-d${o.durationS}s`,
    '--timeout',
    '5s',
    '--latency',
    ...Object.entries(o.headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
    o.url,
  ];
  return new Promise((resolve, reject) => {
    // wrk stops itself after -d; the kill timeout only guards against it hanging.
    const child = execFile('wrk', args, { timeout: (o.durationS + 30) * 1000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      running.delete(child);
      if (err) return reject(new Error(`wrk ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
      try {
        resolve(parseWrk(stdout));
      } catch (e) {
        reject(e);
      }
    });
    running.add(child);
  });
}

async function loadWithNode(o: LoadOptions): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.connections });
  // Preallocated so recording a latency never allocates; beyond capacity we only count.
  const latencies = new Float64Array(5_000_000);
  let recorded = 0;
  let requests = 0;
  let errors = 0;
  const failures = new Map<string, number>();
  const fail = (what: string) => {
    errors++;
    failures.set(what, (failures.get(what) ?? 0) + 1);
  };
  const started = Date.now();
  const deadline = started + o.durationS * 1000;

  const once = () =>
    new Promise<void>((resolve) => {
      const t0 = process.hrtime.bigint();
      const req = http.get(o.url, { agent, headers: o.headers, timeout: 5000 }, (res) => {
        res.resume();
        res.once('end', () => {
          requests++;
          if ((res.statusCode ?? 0) >= 400) fail(`HTTP ${res.statusCode}`);
          if (recorded < latencies.length) latencies[recorded++] = Number(process.hrtime.bigint() - t0) / 1e6;
          resolve();
        });
        res.once('error', (err) => {
          fail(err.message);
          resolve();
        });
      });
      req.once('timeout', () => req.destroy(new Error('timeout')));
      req.once('error', (err) => {
        fail(err.message);
        resolve();
      });
    });

  await Promise.all(
    Array.from({ length: o.connections }, async () => {
      while (Date.now() < deadline) await once();
    }),
  );
  const elapsedS = (Date.now() - started) / 1000;
  agent.destroy();
  const sorted = latencies.subarray(0, recorded).sort();
  const pct = (p: number) => (recorded ? sorted[Math.min(recorded - 1, Math.floor((p / 100) * recorded))] : NaN);
  const errorDetail = [...failures].map(([what, n]) => `${what}: ${n}`).join('; ');
  return { tool: 'node', requests, perSecond: requests / elapsedS, p50Ms: pct(50), p99Ms: pct(99), errors, errorDetail };
}
