// `npm test`: the typecheck and build, then every test tier once, in order, on PostgreSQL,
// printing each tier's time and one closing line "N passed, N failed" for the whole run;
// exits non-zero on any failure.
//   npm test -- --tier e2e                       one tier (or several: --tier unit,web)
//   npm test -- --file test/e2e/bigBlob.test.ts  one file, in the tier it belongs to
//   npm test -- --no-build                       skip the typecheck and build
//   npm test -- --tier s3                        the tiers on S3 (conformance:s3, e2e:s3)
// BERTH_TEST_TIERS=unit,contract,… selects tiers as --tier does.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const mocha = path.join(root, 'node_modules/mocha/bin/mocha.js');
const statsFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'berth-stats-')), 'stats.jsonl');

const tiers = [
  { name: 'unit', dir: 'test/unit' },
  { name: 'contract', dir: 'test/contract' },
  // Files run side by side (each has its own database, ports and directories); most of
  // their time is spent waiting on processes and timers, not on CPU.
  { name: 'integration', dir: 'test/integration', jobs: 4 },
  { name: 'conformance', dir: 'test/conformance' },
  { name: 'e2e', dir: 'test/e2e', timeout: '900000' },
  // Once more with the blobs in S3 (s3rver through the real SDK).
  { name: 'conformance:s3', dir: 'test/conformance', storage: 's3' },
  { name: 'e2e:s3', dir: 'test/e2e', storage: 's3', timeout: '900000' },
  // The console in Debian's Chromium, against a Berth process.
  { name: 'web', dir: 'test/web', timeout: '300000' },
];

let args;
try {
  args = parseArgs({ options: { tier: { type: 'string', multiple: true }, file: { type: 'string', multiple: true }, 'no-build': { type: 'boolean' } } }).values;
} catch (err) {
  console.error(`${err.message}\nusage: npm test -- [--tier NAME[,NAME]] [--file PATH] [--no-build]; tiers: ${tiers.map((t) => t.name).join(', ')}`);
  process.exit(2);
}
const only = (args.tier ?? process.env.BERTH_TEST_TIERS?.split(','))?.flatMap((t) => t.split(',')).filter(Boolean);
// A name selects its tier; a prefix that is no tier's name (s3 → …:s3 is not one) selects
// the tiers it begins: `--tier e2e` is the filesystem e2e tier alone.
const selects = (o, t) => t.name === o || (!tiers.some((x) => x.name === o) && (t.name.startsWith(`${o}:`) || t.name.endsWith(`:${o}`)));
const unknown = only?.filter((o) => !tiers.some((t) => selects(o, t)));
if (unknown?.length) {
  console.error(`unknown tier ${unknown.join(', ')}; tiers: ${tiers.map((t) => t.name).join(', ')}`);
  process.exit(2);
}
const files = args.file?.map((f) => path.relative(root, path.resolve(f)));
for (const f of files ?? []) {
  if (!tiers.some((t) => f.startsWith(`${t.dir}/`))) {
    console.error(`${f} is in no tier's folder (${[...new Set(tiers.map((t) => t.dir))].join(', ')})`);
    process.exit(2);
  }
}

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status ?? 1;
}

const failedSteps = [];
const build = !args['no-build'];
if (build) console.log('== typecheck and build');
if (build && run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']) !== 0) failedSteps.push('build');
if (build && run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'test/tsconfig.json']) !== 0) failedSteps.push('typecheck');
if (build && run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'web/tsconfig.json']) !== 0) failedSteps.push('typecheck web');
if (build && run(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn']) !== 0)
  failedSteps.push('build web');

const times = [];
for (const tier of tiers) {
  if (only && !only.some((o) => selects(o, tier))) continue;
  // A file runs in its own folder's tiers (an e2e file on the filesystem and on S3).
  const tierFiles = files ? files.filter((f) => f.startsWith(`${tier.dir}/`)) : [`${tier.dir}/**/*.test.ts`];
  if (!tierFiles.length) continue;
  console.log(`\n== ${tier.name}`);
  const started = Date.now();
  const status = run(
    process.execPath,
    [
      mocha,
      '--reporter',
      path.join(root, 'test/helpers/statsReporter.cjs'),
      ...(tier.timeout ? ['--timeout', tier.timeout] : []),
      ...(tier.jobs && (tierFiles.length > 1 || tierFiles[0].includes('*')) ? ['--parallel', '--jobs', String(tier.jobs)] : []),
      ...tierFiles,
    ],
    { BERTH_TEST_STATS: statsFile, BERTH_TEST_TIER: tier.name, ...(tier.storage ? { BERTH_TEST_STORAGE: tier.storage } : {}) },
  );
  const seconds = (Date.now() - started) / 1000;
  times.push({ tier: tier.name, seconds, status });
  console.log(`== ${tier.name}: exit ${status} in ${seconds.toFixed(1)} s`);
  if (status !== 0) failedSteps.push(tier.name);
}

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  for (const line of readFileSync(statsFile, 'utf8').split('\n').filter(Boolean)) {
    const s = JSON.parse(line);
    passed += s.passes;
    failed += s.failures;
    skipped += s.pending;
  }
} catch {
  /* no tier wrote stats */
}
rmSync(path.dirname(statsFile), { recursive: true, force: true });
if (times.length) {
  console.log('\n== time per tier');
  for (const t of times) console.log(`${t.tier.padEnd(16)} ${t.seconds.toFixed(1).padStart(7)} s${t.status ? '  (failed)' : ''}`);
  console.log(
    `${'total'.padEnd(16)} ${times
      .reduce((n, t) => n + t.seconds, 0)
      .toFixed(1)
      .padStart(7)} s`,
  );
}
if (failedSteps.length) console.log(`\nfailed steps: ${failedSteps.join(', ')}`);
// A step that failed without a counted test failure (a crash, a build error) still fails the run.
if (failedSteps.length && failed === 0) failed = failedSteps.length;
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failedSteps.length ? 1 : 0);
