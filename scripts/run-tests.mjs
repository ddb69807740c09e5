// `npm test`: every test tier, in order, on PostgreSQL and again on embedded PGlite.
// Prints one closing line "N passed, N failed" for the whole run and exits non-zero on
// any failure. BERTH_TEST_TIERS=unit,contract,… runs a subset.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const mocha = path.join(root, 'node_modules/mocha/bin/mocha.js');
const statsFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'berth-stats-')), 'stats.jsonl');

const tiers = [
  { name: 'unit', files: 'test/unit/**/*.test.ts' },
  { name: 'contract', files: 'test/contract/**/*.test.ts' },
  { name: 'integration:pg', files: 'test/integration/**/*.test.ts', db: 'pg' },
  { name: 'integration:pglite', files: 'test/integration/**/*.test.ts', db: 'pglite' },
  { name: 'conformance:pg', files: 'test/conformance/**/*.test.ts', db: 'pg' },
  { name: 'conformance:pglite', files: 'test/conformance/**/*.test.ts', db: 'pglite' },
  { name: 'e2e:pg', files: 'test/e2e/**/*.test.ts', db: 'pg', timeout: '900000' },
  { name: 'e2e:pglite', files: 'test/e2e/**/*.test.ts', db: 'pglite', timeout: '900000' },
  // Once more with the blobs in S3 (s3rver through the real SDK), on PostgreSQL.
  { name: 'conformance:s3', files: 'test/conformance/**/*.test.ts', db: 'pg', storage: 's3' },
  { name: 'e2e:s3', files: 'test/e2e/**/*.test.ts', db: 'pg', storage: 's3', timeout: '900000' },
  // The console in Debian's Chromium, against a Berth process on PostgreSQL.
  { name: 'web', files: 'test/web/**/*.test.ts', db: 'pg', timeout: '300000' },
];
const only = process.env.BERTH_TEST_TIERS?.split(',');

function run(cmd, args, env = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status ?? 1;
}

let failedSteps = [];
console.log('== typecheck and build');
if (run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json']) !== 0) failedSteps.push('build');
if (run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'test/tsconfig.json']) !== 0) failedSteps.push('typecheck');
if (run(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'web/tsconfig.json']) !== 0) failedSteps.push('typecheck web');
if (run(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn']) !== 0) failedSteps.push('build web');

for (const tier of tiers) {
  if (only && !only.some((o) => tier.name === o || tier.name.startsWith(`${o}:`))) continue;
  console.log(`\n== ${tier.name}`);
  const started = Date.now();
  const status = run(
    process.execPath,
    [mocha, '--reporter', path.join(root, 'test/helpers/statsReporter.cjs'), ...(tier.timeout ? ['--timeout', tier.timeout] : []), tier.files],
    { BERTH_TEST_STATS: statsFile, BERTH_TEST_TIER: tier.name, ...(tier.db ? { BERTH_TEST_DB: tier.db } : {}), ...(tier.storage ? { BERTH_TEST_STORAGE: tier.storage } : {}) },
  );
  console.log(`== ${tier.name}: exit ${status} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
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
if (failedSteps.length) console.log(`\nfailed steps: ${failedSteps.join(', ')}`);
// A step that failed without a counted test failure (a crash, a build error) still fails the run.
if (failedSteps.length && failed === 0) failed = failedSteps.length;
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failedSteps.length ? 1 : 0);
