// `npm run bench:embedded`: the embedded default as `npm start` runs it (no DATABASE_URL),
// measured from an empty BERTH_DATA_DIR: time to the first healthy answer, the whole
// process tree's memory through that first start, idle after it, and through a push and a
// pull of one large blob (streamed, one PATCH, as docker pushes a layer). Memory is read
// from /proc every 50 ms as the sum of RSS and the sum of PSS (shared pages split among
// the processes that map them, so PostgreSQL's shared buffers count once).
//
//   npm run bench:embedded -- [--gib 2] [--workers N] [--runs 3] [--main path/to/main.js]
//
// --main runs another build's server (how docs/design/0014 measured PGlite, on the build
// before it was replaced). Results are printed, medians over --runs fresh starts.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, freePort } from '../test/helpers/berthProcess.js';
import { admin, basic, createProject } from '../test/helpers/api.js';
import { authorizeOrigin } from './lib/http.js';
import { pushBlob, pullBlob } from './lib/blobs.js';
import { TreeMemorySampler, type TreeMemoryPeak } from './lib/procTree.js';

const MiB = 1024 * 1024;
const { values } = parseArgs({ options: { gib: { type: 'string' }, workers: { type: 'string' }, runs: { type: 'string' }, main: { type: 'string' } } });
const size = Number(values.gib ?? 2) * 1024 * MiB;
const workers = Number(values.workers ?? os.availableParallelism());
const runs = Number(values.runs ?? 3);
const main = path.resolve(values.main ?? path.join(repoRoot, 'dist/server/main.js'));

// The blob: a unique 64-byte header, then one random MiB repeated; hashed once up front.
const pattern = randomBytes(MiB);
function* body(header: Buffer): Generator<Buffer> {
  yield header;
  for (let at = header.length; at < size; at += MiB) yield pattern.subarray(0, Math.min(MiB, size - at));
}
function digestOf(header: Buffer): string {
  const h = createHash('sha256');
  for (const b of body(header)) h.update(b);
  return `sha256:${h.digest('hex')}`;
}

interface Run {
  firstStartMs: number;
  start: TreeMemoryPeak;
  idle: TreeMemoryPeak;
  transfer: TreeMemoryPeak;
  pushMiBs: number;
  pullMiBs: number;
}

async function once(): Promise<Run> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'berth-bench-embedded-'));
  const port = await freePort();
  const started = Date.now();
  const child = spawn(process.execPath, [main], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: os.tmpdir(),
      PORT: String(port),
      BERTH_HOST: '127.0.0.1',
      BERTH_DATA_DIR: dataDir,
      BERTH_WORKERS: String(workers),
      BERTH_LOG_LEVEL: 'warn',
      BERTH_ADMIN_PASSWORD: admin.password,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
    detached: true,
  });
  const sampler = new TreeMemorySampler(child.pid!, 50);
  sampler.start();
  const url = `http://127.0.0.1:${port}`;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`berth exited with ${child.exitCode}`);
      const ok = await fetch(`${url}/api/v2.0/health`).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      if (Date.now() - started > 120_000) throw new Error('not healthy within 120 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    const firstStartMs = Date.now() - started;
    // Let the workers finish starting (the health answer comes from the first to listen).
    await new Promise((r) => setTimeout(r, 2000));
    const start = await sampler.stop();

    const idleSampler = new TreeMemorySampler(child.pid!, 100);
    idleSampler.start();
    await new Promise((r) => setTimeout(r, 10_000));
    const idle = await idleSampler.stop();

    await createProject(url, 'bench');
    const q = new URLSearchParams({ service: 'berth', scope: 'repository:bench/big:pull,push' });
    const token = (await (await fetch(`${url}/service/token?${q}`, { headers: { Authorization: basic(admin) } })).json()) as { token: string };
    authorizeOrigin(url, `Bearer ${token.token}`);
    const header = randomBytes(64);
    const digest = digestOf(header);
    const transferSampler = new TreeMemorySampler(child.pid!, 50);
    transferSampler.start();
    let t = Date.now();
    await pushBlob(url, 'bench/big', digest, body(header));
    const pushMiBs = size / MiB / ((Date.now() - t) / 1000);
    t = Date.now();
    await pullBlob(url, 'bench/big', { digest, size, prefix: header });
    const pullMiBs = size / MiB / ((Date.now() - t) / 1000);
    const transfer = await transferSampler.stop();
    return { firstStartMs, start, idle, transfer, pushMiBs, pullMiBs };
  } finally {
    await sampler.stop();
    const exited = new Promise((r) => child.once('exit', r));
    process.kill(child.pid!, 'SIGTERM');
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results: Run[] = [];
for (let i = 0; i < runs; i++) {
  const r = await once();
  results.push(r);
  const m = (n: number) => (n / MiB).toFixed(0);
  console.log(
    `run ${i + 1}: first start ${r.firstStartMs} ms; tree peak RSS/PSS MiB: start ${m(r.start.peakTotalBytes)}/${m(r.start.peakPssTotalBytes)}, idle ${m(r.idle.peakTotalBytes)}/${m(r.idle.peakPssTotalBytes)}, ${size / 1024 / MiB} GiB push+pull ${m(r.transfer.peakTotalBytes)}/${m(r.transfer.peakPssTotalBytes)}; largest process ${m(Math.max(r.start.peakProcessBytes, r.transfer.peakProcessBytes))} MiB; push ${r.pushMiBs.toFixed(0)} MiB/s, pull ${r.pullMiBs.toFixed(0)} MiB/s; ${r.transfer.maxProcesses} processes`,
  );
}
const col = (f: (r: Run) => number, d = 0) => median(results.map(f)).toFixed(d);
console.log(`\n${main}, BERTH_WORKERS=${workers}, medians of ${runs} runs:`);
console.log('| first start, ms | start peak RSS / PSS, MiB | idle RSS / PSS, MiB | push+pull peak RSS / PSS, MiB | largest process, MiB | push, pull MiB/s |');
console.log(
  `| ${col((r) => r.firstStartMs)} | ${col((r) => r.start.peakTotalBytes / MiB)} / ${col((r) => r.start.peakPssTotalBytes / MiB)} | ${col((r) => r.idle.peakTotalBytes / MiB)} / ${col((r) => r.idle.peakPssTotalBytes / MiB)} | ${col((r) => r.transfer.peakTotalBytes / MiB)} / ${col((r) => r.transfer.peakPssTotalBytes / MiB)} | ${col((r) => Math.max(r.start.peakProcessBytes, r.idle.peakProcessBytes, r.transfer.peakProcessBytes) / MiB)} | ${col((r) => r.pushMiBs)}, ${col((r) => r.pullMiBs)} |`,
);
