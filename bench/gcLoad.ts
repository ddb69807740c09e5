// Pushes and pulls while garbage collection runs, against the same with it idle: one
// Berth process (PostgreSQL on loopback, filesystem store, bearer-token auth, review delay
// 0) with N unreferenced blobs queued (100,000 by default, lib/garbage.ts). Each round
// pushes a fresh set of blobs (1 GiB by default, 4 at a time, so a round outlasts several of the load gate's 1 s probes) and pulls it back; rounds
// alternate idle / during a run started through the API (POST /system/gc/schedule Manual,
// 1 worker, Harbor's default), and a "during" round counts only if the run was still
// running when it ended. Run: npm run bench:gc-load [-- --blobs N --mib M --rounds R]
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../server/db/database.js';
import { admin, basic, createProject } from '../test/helpers/api.js';
import { startBerth } from '../test/helpers/berthProcess.js';
import { makeBlobSet, pullBlob, pushBlob, runConcurrently } from './lib/blobs.js';
import { seedGarbage } from './lib/garbage.js';
import { authorizeOrigin } from './lib/http.js';

const { values } = parseArgs({ options: { blobs: { type: 'string' }, mib: { type: 'string' }, rounds: { type: 'string' } } });
const garbage = Number(values.blobs ?? 100_000);
const mib = Number(values.mib ?? 1024);
const rounds = Number(values.rounds ?? 3);
const log = (m: string) => process.stderr.write(`[gc-load] ${m}\n`);
const MiB = 1024 * 1024;

const berth = await startBerth({ database: 'pg', workers: 1, env: { BERTH_GC_REVIEW_DELAY: '0s', BERTH_STORAGE: 'fs', BERTH_LOG_LEVEL: 'warn' } });
const headers = { Authorization: basic(admin), 'Content-Type': 'application/json' };
const db = openDatabase({ databaseUrl: berth.databaseUrl!, poolSize: 4 });
try {
  await createProject(berth.url, 'bench');
  const q = new URLSearchParams({ service: 'berth', scope: 'repository:bench/blobs:pull,push' });
  const token = await (await fetch(`${berth.url}/service/token?${q}`, { headers })).json();
  authorizeOrigin(berth.url, `Bearer ${token.token}`);

  const round = async (): Promise<{ push: number; pull: number }> => {
    const set = makeBlobSet(mib);
    const deadline = Date.now() + 600_000;
    const push = await runConcurrently(set.blobs, 4, deadline, (b) => pushBlob(berth.url, 'bench/blobs', b.digest, set.chunks(b)));
    const pull = await runConcurrently(set.blobs, 4, deadline, (b) => pullBlob(berth.url, 'bench/blobs', b));
    return { push: set.totalBytes / MiB / push, pull: set.totalBytes / MiB / pull };
  };
  const gcStatus = async (id: number) =>
    ((await (await fetch(`${berth.url}/api/v2.0/system/gc/${id}`, { headers })).json()) as { job_status: string }).job_status;

  const idle: Array<{ push: number; pull: number }> = [];
  const during: Array<{ push: number; pull: number }> = [];
  await round(); // warm-up
  for (let i = 0; i < rounds; i++) {
    idle.push(await round());
    log(`idle: push ${idle.at(-1)!.push.toFixed(0)} MiB/s, pull ${idle.at(-1)!.pull.toFixed(0)} MiB/s`);
    log(`queueing ${garbage} unreferenced blobs`);
    const root = path.join(berth.dataDir, 'blobs');
    await seedGarbage(
      db,
      garbage,
      async (key, bytes) => {
        await mkdir(path.dirname(path.join(root, key)), { recursive: true });
        await writeFile(path.join(root, key), bytes);
      },
      'garbage',
    );
    // The garbage's own writeback is not the collector's cost: flush it before the round.
    execFileSync('sync');
    const res = await fetch(`${berth.url}/api/v2.0/system/gc/schedule`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ schedule: { type: 'Manual' }, parameters: { workers: 1 } }),
    });
    const id = Number(res.headers.get('location')!.split('/').pop());
    while ((await gcStatus(id)) !== 'Running') await new Promise((r) => setTimeout(r, 200));
    const r = await round();
    const status = await gcStatus(id);
    if (status !== 'Running') throw new Error(`the run ended (${status}) before the round did: queue more garbage (--blobs)`);
    during.push(r);
    log(`during GC: push ${r.push.toFixed(0)} MiB/s, pull ${r.pull.toFixed(0)} MiB/s`);
    while ((await gcStatus(id)) === 'Running') await new Promise((r) => setTimeout(r, 500));
    const runLog = await (await fetch(`${berth.url}/api/v2.0/system/gc/${id}/log`, { headers })).text();
    log(runLog.split('\n').find((l) => l.includes('load probes')) ?? 'the run made no load probes');
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const row = (name: string, key: 'push' | 'pull') => {
    const a = median(idle.map((x) => x[key]));
    const b = median(during.map((x) => x[key]));
    return `| ${name} | ${a.toFixed(0)} | ${b.toFixed(0)} | ${(b / a).toFixed(2)}× |`;
  };
  console.log(`| ${mib} MiB of blobs, 4 at a time, medians of ${rounds} | idle, MiB/s | during GC, MiB/s | during ÷ idle |`);
  console.log('|---|--:|--:|--:|');
  console.log(row('push', 'push'));
  console.log(row('pull', 'pull'));
} finally {
  await db.close();
  await berth.dispose();
}
process.exit(0);
