// Berth against CNCF Distribution on the same machine in the same run: blob push and
// pull throughput, manifest GETs per second with latency, and peak memory. The registries
// run one after the other so neither competes with the other for CPU.
// See bench/README.md for the method.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeBlobSet } from './lib/blobs.js';
import { agent } from './lib/http.js';
import { hasWrk, stopLoad } from './lib/load.js';
import { measureRegistry } from './lib/measure.js';
import { parseOptions, usage, type BenchOptions } from './lib/options.js';
import { startBerthForBench, startDistribution, type Registry } from './lib/registries.js';
import { auditTable, medianResult, resultsSection, writeResults, type RegistryResult, type Workload } from './lib/report.js';

const README = path.join(path.dirname(fileURLToPath(import.meta.url)), 'README.md');
// Generous: a healthy run takes about a minute per registry (each also has its own budget).
const RUN_BUDGET_MS_PER_RUN = 15 * 60_000;

const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

let running: Registry | undefined;
// Set once interrupted: whatever the phases still return then is not a result.
let aborting = false;

async function benchOne(name: string, start: () => Promise<Registry>, run: (r: Registry) => Promise<RegistryResult>) {
  if (aborting) return undefined;
  log(`starting ${name}`);
  let reg: Registry | undefined;
  try {
    reg = await start();
    running = reg;
    return await run(reg);
  } catch (err) {
    if (!aborting) log(`${name} FAILED: ${(err as Error).stack ?? err}`);
    return undefined;
  } finally {
    running = undefined;
    if (reg) await reg.stop().catch((err) => log(`stopping ${name}: ${err}`));
  }
}

async function abort(why: string): Promise<never> {
  if (aborting) process.exit(3); // a second signal: stop waiting
  aborting = true;
  log(`${why}; stopping`);
  stopLoad();
  const reg = running;
  if (reg) await Promise.race([reg.stop(), new Promise((r) => setTimeout(r, 15_000))]);
  process.exit(3);
}

async function main(): Promise<number> {
  let o: BenchOptions;
  try {
    o = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`${(err as Error).message}\n${usage}`);
    return 2;
  }
  const budget = RUN_BUDGET_MS_PER_RUN * o.runs;
  setTimeout(() => void abort(`run exceeded ${budget / 60_000} minutes`), budget).unref();
  process.on('SIGINT', () => void abort('interrupted'));
  process.on('SIGTERM', () => void abort('terminated'));

  const loadTool = o.load === 'auto' ? (hasWrk() ? 'wrk' : 'node') : o.load;
  if (loadTool === 'node') log('wrk not found: using the Node load loop (lower req/s than wrk, do not compare across tools)');

  log(`generating ${o.totalMiB} MiB of blobs`);
  const set = makeBlobSet(o.totalMiB);
  const run = (reg: Registry) => measureRegistry(reg, set, o, loadTool, log);

  const onFs = o.only !== 'distribution' && o.storage !== 's3';
  const onS3 = o.only !== 'distribution' && o.storage !== 'fs';
  const runs: Record<'distribution' | 'berth' | 'berthAuditOff' | 'berthS3', RegistryResult[]> = {
    distribution: [],
    berth: [],
    berthAuditOff: [],
    berthS3: [],
  };
  let incomplete = false;
  const keep = (list: RegistryResult[], r: RegistryResult | undefined) => {
    if (r) list.push(r);
    else incomplete = true;
  };
  // Whole runs one after another, so drift (page cache, CPU clock) touches every registry alike.
  for (let i = 1; i <= o.runs && !aborting; i++) {
    if (o.runs > 1) log(`run ${i} of ${o.runs}`);
    if (o.only !== 'berth') keep(runs.distribution, await benchOne('Distribution', startDistribution, run));
    if (onFs) keep(runs.berth, await benchOne('Berth', () => startBerthForBench(o.database, o.workers), run));
    // The same Berth with the audit log off, to show what recording costs (issue 4's budget).
    if (onFs) keep(runs.berthAuditOff, await benchOne('Berth (audit off)', () => startBerthForBench(o.database, o.workers, false), run));
    // And with its blobs in S3 (s3rver), for the scale-out deployment's figures.
    if (onS3) keep(runs.berthS3, await benchOne('Berth (S3)', () => startBerthForBench(o.database, o.workers, true, 's3'), run));
  }
  agent.destroy();
  if (aborting) return new Promise<never>(() => undefined); // abort() exits once the registry is down
  const med = (list: RegistryResult[]) => (list.length ? medianResult(list) : undefined);
  const distribution = med(runs.distribution);
  const berth = med(runs.berth);
  const berthAuditOff = med(runs.berthAuditOff);
  const berthS3 = med(runs.berthS3);

  const workload: Workload = {
    blobs: set.blobs.length,
    totalMiB: o.totalMiB,
    concurrency: o.concurrency,
    pullRounds: o.pullRounds,
    images: o.images,
    connections: o.connections,
    durationS: o.durationS,
    loadTool,
    runs: o.runs,
  };
  const section = resultsSection(distribution, berth, workload, new Date(), berthAuditOff, berthS3);
  console.log(section);
  if (!distribution && berth && berthAuditOff) console.log(`\n${auditTable(berth, berthAuditOff)}`);

  const failed = incomplete || (o.only !== 'berth' && !distribution) || (onFs && (!berth || !berthAuditOff)) || (onS3 && !berthS3);
  if (failed) {
    log('a registry failed; bench/README.md left unchanged');
    return 1;
  }
  if (o.writeReadme && o.storage === 'both') {
    await writeResults(README, section);
    log(`results written to ${path.relative(process.cwd(), README)}`);
  }
  return 0;
}

// Exit explicitly: a stuck keep-alive socket or child pipe must not keep the bench alive.
main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
