// Replication against skopeo: a ~500 MiB image of five layers on Berth A is copied to a
// fresh Berth by `skopeo copy` and to another fresh Berth by a replication rule (manual
// execution, the worker in A's main process), `rounds` times, alternating which goes first.
// Times are wall clock: skopeo's process, and replication from the POST of the execution
// to its Succeed. Every registry runs on PostgreSQL on this machine, on loopback.
// Run: npm run bench:replication [-- rounds]
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { admin, basic, createProject } from '../test/helpers/api.js';
import { startBerth, type BerthProcess } from '../test/helpers/berthProcess.js';
import { readFile, writeFile } from 'node:fs/promises';
import { machineDescription } from './lib/report.js';

const run = promisify(execFile);
const rounds = Number(process.argv[2] ?? 2);
const layerMiB = 100;
const layers = 5;
const auth = { Authorization: basic(admin) };

async function call(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });
}

/** Pushes one layer in 16 MiB PATCHes: `seed` makes it unique, the rest is shared random data. */
async function pushLayer(base: string, repo: string, data: Buffer, seed: number): Promise<{ digest: string; size: number }> {
  const body = Buffer.concat([Buffer.from(`layer-${seed}-${Date.now()}-`.padEnd(64, '.')), data]);
  const start = await call(`${base}/v2/${repo}/blobs/uploads/`, { method: 'POST' });
  let location = new URL(start.headers.get('location')!, base).toString();
  const chunk = 16 * 1024 * 1024;
  for (let offset = 0; offset < body.length; offset += chunk) {
    const part = body.subarray(offset, Math.min(body.length, offset + chunk));
    const res = await call(location, { method: 'PATCH', body: new Uint8Array(part), headers: { 'Content-Type': 'application/octet-stream' } });
    if (res.status !== 202) throw new Error(`PATCH ${res.status} ${await res.text()}`);
    location = new URL(res.headers.get('location')!, base).toString();
  }
  const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  const done = await call(`${location}${location.includes('?') ? '&' : '?'}digest=${digest}`, { method: 'PUT' });
  if (done.status !== 201) throw new Error(`PUT ${done.status} ${await done.text()}`);
  return { digest, size: body.length };
}

async function pushBigImage(base: string, repo: string, tag: string): Promise<number> {
  const data = randomBytes(layerMiB * 1024 * 1024);
  const pushed = [];
  for (let i = 0; i < layers; i++) pushed.push(await pushLayer(base, repo, data, i));
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: pushed.map((p) => p.digest) } }));
  const cfg = await pushLayer(base, repo, config, 99);
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: cfg.digest, size: cfg.size },
    layers: pushed.map((p) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: p.digest, size: p.size })),
  };
  const res = await call(`${base}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    body: JSON.stringify(manifest),
    headers: { 'Content-Type': manifest.mediaType },
  });
  if (res.status !== 201) throw new Error(`manifest ${res.status} ${await res.text()}`);
  return pushed.reduce((n, p) => n + p.size, cfg.size);
}

async function timeSkopeo(a: BerthProcess, b: BerthProcess): Promise<number> {
  const creds = `${admin.username}:${admin.password}`;
  const started = performance.now();
  await run(
    'skopeo',
    [
      'copy',
      '--quiet',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      '--src-creds',
      creds,
      '--dest-creds',
      creds,
      `docker://${a.host}/bench/big:v1`,
      `docker://${b.host}/bench/big:v1`,
    ],
    {
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  return (performance.now() - started) / 1000;
}

async function timeReplication(a: BerthProcess, b: BerthProcess, name: string): Promise<number> {
  const json = { 'Content-Type': 'application/json' };
  const reg = await call(`${a.url}/api/v2.0/registries`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ name, type: 'berth', url: b.url, credential: { access_key: admin.username, access_secret: admin.password } }),
  });
  const regId = Number(reg.headers.get('location')!.split('/').pop());
  const rule = await call(`${a.url}/api/v2.0/replication/policies`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ name, dest_registry: { id: regId }, filters: [{ type: 'name', value: 'bench/big' }] }),
  });
  const ruleId = Number(rule.headers.get('location')!.split('/').pop());
  const started = performance.now();
  const exec = await call(`${a.url}/api/v2.0/replication/executions`, { method: 'POST', headers: json, body: JSON.stringify({ policy_id: ruleId }) });
  const id = exec.headers.get('location')!.split('/').pop();
  for (;;) {
    const e = await (await call(`${a.url}/api/v2.0/replication/executions/${id}`)).json();
    if (e.status !== 'InProgress') {
      if (e.status !== 'Succeed') throw new Error(`replication ended ${JSON.stringify(e)}`);
      return (performance.now() - started) / 1000;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function digestOf(r: BerthProcess): Promise<string | null> {
  const res = await call(`${r.url}/v2/bench/big/manifests/v1`, { method: 'HEAD', headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
  return res.headers.get('docker-content-digest');
}

const a = await startBerth({ database: 'pg', env: { BERTH_REPLICATION_ALLOW: 'loopback', BERTH_LOG_LEVEL: 'warn' } });
const results: Array<{ skopeo: number; replication: number }> = [];
let bytes = 0;
try {
  await createProject(a.url, 'bench');
  bytes = await pushBigImage(a.url, 'bench/big', 'v1');
  const source = await digestOf(a);
  process.stderr.write(`image: ${(bytes / 1024 / 1024).toFixed(0)} MiB in ${layers + 1} blobs, ${source}\n`);
  for (let i = 0; i < rounds; i++) {
    const [b1, b2] = await Promise.all([
      startBerth({ database: 'pg', env: { BERTH_REPLICATION_WORKER: 'false' } }),
      startBerth({ database: 'pg', env: { BERTH_REPLICATION_WORKER: 'false' } }),
    ]);
    try {
      await Promise.all([createProject(b1.url, 'bench'), createProject(b2.url, 'bench')]);
      const round = { skopeo: 0, replication: 0 };
      const order = i % 2 ? (['replication', 'skopeo'] as const) : (['skopeo', 'replication'] as const);
      for (const what of order) {
        if (what === 'skopeo') round.skopeo = await timeSkopeo(a, b1);
        else round.replication = await timeReplication(a, b2, `b-${i}`);
      }
      const [d1, d2] = [await digestOf(b1), await digestOf(b2)];
      // skopeo may re-encode a manifest; replication must not.
      if (d2 !== source) throw new Error(`replication arrived as ${d2}, not ${source}`);
      if (d1 !== source) process.stderr.write(`note: skopeo's copy has manifest digest ${d1}\n`);
      results.push(round);
      process.stderr.write(
        `round ${i + 1}: skopeo copy ${round.skopeo.toFixed(2)} s, replication ${round.replication.toFixed(2)} s (${(round.replication / round.skopeo).toFixed(2)}x)\n`,
      );
    } finally {
      await Promise.all([b1.dispose(), b2.dispose()]);
    }
  }
} finally {
  await a.dispose();
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)];
const s = median(results.map((r) => r.skopeo));
const r = median(results.map((r) => r.replication));
const mib = bytes / 1024 / 1024;
const table = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${machineDescription()}; ${rounds} round(s), medians.`,
  '',
  `| A → B, one image of ${mib.toFixed(0)} MiB (${layers} layers + config) | seconds | MiB/s |`,
  '|---|--:|--:|',
  `| \`skopeo copy\` | ${s.toFixed(2)} | ${(mib / s).toFixed(0)} |`,
  `| Berth replication (manual execution, worker in A's main process) | ${r.toFixed(2)} | ${(mib / r).toFixed(0)} |`,
  `| replication ÷ skopeo | **${(r / s).toFixed(2)}×** | |`,
].join('\n');
console.log(table);
// Into its own marked section of bench/README.md (the main bench owns the other one).
const readme = new URL('./README.md', import.meta.url).pathname;
const [start, end] = ['<!-- replication:results:start (written by bench/replication.ts) -->', '<!-- replication:results:end -->'];
const text = await readFile(readme, 'utf8');
const i = text.indexOf(start);
const j = text.indexOf(end);
if (i >= 0 && j > i) await writeFile(readme, `${text.slice(0, i)}${start}\n${table}\n${text.slice(j)}`);
process.exit(0);
