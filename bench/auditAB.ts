// A/B of the audit log's cost on small image pushes and manifest GETs: Berth with BERTH_AUDIT_LOG on and
// off, alternated `rounds` times so drift between runs (page cache, CPU clocks) falls on
// both sides alike; prints req/s and registry CPU per request for each run.
// Run: npm run build && node --import tsx bench/auditAB.ts [rounds]
import { agent, authorizationFor } from './lib/http.js';
import { cpuBetween, cpuSnapshot } from './lib/cpu.js';
import { runLoad } from './lib/load.js';
import { runConcurrently } from './lib/blobs.js';
import { OCI_MANIFEST, pushSmallImage, seedImage } from './lib/manifests.js';
import { startBerthForBench } from './lib/registries.js';

const rounds = Number(process.argv[2] ?? 3);
const results: Record<'on' | 'off', Array<{ rps: number; cpuUs: number; dbUs: number; ips: number }>> = { on: [], off: [] };
for (let i = 0; i < rounds; i++) {
  for (const audit of i % 2 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
    const reg = await startBerthForBench('pg', 2, audit === 'on');
    try {
      const tags = Array.from({ length: 300 }, (_, k) => `v${k}`);
      const pushS = await runConcurrently(tags, 4, Date.now() + 120_000, (tag) => pushSmallImage(reg.url, 'bench/images', tag));
      const url = await seedImage(reg.url, 'bench/manifests', 'latest');
      const load = { url, headers: { Accept: OCI_MANIFEST, Authorization: authorizationFor(url)! }, connections: 64, threads: 2, durationS: 2 };
      await runLoad('wrk', load);
      const before = await cpuSnapshot(reg.pid, (await reg.companions?.()) ?? []);
      const r = await runLoad('wrk', { ...load, durationS: 10 });
      const cpu = cpuBetween(before, await cpuSnapshot(reg.pid, (await reg.companions?.()) ?? []));
      results[audit].push({ rps: r.perSecond, cpuUs: (cpu.registryS * 1e6) / r.requests, dbUs: (cpu.companionS * 1e6) / r.requests, ips: tags.length / pushS });
      process.stderr.write(
        `${audit}: ${(tags.length / pushS).toFixed(0)} images/s, ${r.perSecond.toFixed(0)} req/s, ${((cpu.registryS * 1e6) / r.requests).toFixed(0)} µs CPU per request\n`,
      );
    } finally {
      await reg.stop();
    }
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const k of ['on', 'off'] as const) {
  console.log(
    `${k}: median ${median(results[k].map((x) => x.ips)).toFixed(0)} small images pushed/s, ${median(results[k].map((x) => x.rps)).toFixed(0)} manifest GETs/s, ${median(results[k].map((x) => x.cpuUs)).toFixed(0)} µs CPU/request (${median(results[k].map((x) => x.dbUs)).toFixed(0)} in PostgreSQL)`,
  );
}
agent.destroy();
process.exit(0);
