// `npm run bench:profile`: a CPU profile of Berth's blob push and pull paths. One worker
// process (BERTH_WORKERS=1, so one profile holds every request) on a fresh PostgreSQL
// database, bearer-token auth on; 1 GiB pushed as 16 blobs of 64 MiB, 4 at a time, then
// pulled 4 at a time. Node's --cpu-prof writes the profile when Berth exits; this script
// then prints the functions with the most self time and writes a flame graph (SVG) and the
// .cpuprofile (open it in Chrome DevTools or speedscope) to --out.
//
//   npm run bench:profile -- [--out docs/design/profiles] [--phase push|pull|both]
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { startBerth } from '../test/helpers/berthProcess.js';
import { admin, basic, createProject } from '../test/helpers/api.js';
import { authorizeOrigin } from './lib/http.js';
import { makeBlobSet, pullBlob, pushBlob, runConcurrently } from './lib/blobs.js';

const { values } = parseArgs({ options: { out: { type: 'string' }, phase: { type: 'string' } } });
const out = path.resolve(values.out ?? 'docs/design/profiles');
const phase = values.phase ?? 'both';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

async function profileRun(which: 'push' | 'pull'): Promise<void> {
  const profDir = await mkdtemp(path.join(os.tmpdir(), 'berth-prof-'));
  const blobs = makeBlobSet(1024, [64]);
  const berth = await startBerth({ workers: 1, env: { BERTH_AUDIT_LOG: 'true' }, nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profDir}`] });
  try {
    await createProject(berth.url, 'bench');
    const q = new URLSearchParams({ service: 'berth', scope: 'repository:bench/blobs:pull,push' });
    const token = (await (await fetch(`${berth.url}/service/token?${q}`, { headers: { Authorization: basic(admin) } })).json()) as { token: string };
    authorizeOrigin(berth.url, `Bearer ${token.token}`);
    const deadline = Date.now() + 300_000;
    const push = () => runConcurrently(blobs.blobs, 4, deadline, (b) => pushBlob(berth.url, 'bench/blobs', b.digest, blobs.chunks(b)));
    const pull = () => runConcurrently(blobs.blobs, 4, deadline, (b) => pullBlob(berth.url, 'bench/blobs', b));
    // The phase not profiled still runs (a pull needs its blobs), but before profiling
    // starts is not possible with --cpu-prof, so a pull profile includes the push; the
    // push profile is the one to read for pushes, and pull = both - push.
    const pushSeconds = await push();
    console.log(`push: ${(1024 / pushSeconds).toFixed(0)} MiB/s`);
    if (which === 'pull') {
      const pullSeconds = await pull();
      console.log(`pull: ${(1024 / pullSeconds).toFixed(0)} MiB/s`);
    }
  } finally {
    await berth.dispose();
  }
  const file = (await readdir(profDir)).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('Berth wrote no profile');
  const profile = JSON.parse(await readFile(path.join(profDir, file), 'utf8')) as Profile;
  await rm(profDir, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  const name = which === 'push' ? 'push' : 'push-then-pull';
  await writeFile(path.join(out, `${name}.cpuprofile`), JSON.stringify(profile));
  await writeFile(path.join(out, `${name}.svg`), flameGraph(profile, `Berth ${name}: 1 GiB as 16 blobs of 64 MiB, 4 at a time (one worker)`));
  printTop(profile, name);
}

function selfTimes(p: Profile): Map<number, number> {
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i], (self.get(p.samples[i]) ?? 0) + (p.timeDeltas[i] ?? 0));
  return self;
}

function label(n: Node): string {
  const f = n.callFrame;
  const file = f.url ? f.url.replace(/^.*\/(node_modules\/)?/, (m) => (m.includes('node_modules') ? 'node_modules/' : '')) : '';
  return `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
}

function printTop(p: Profile, name: string): void {
  const self = selfTimes(p);
  const byLabel = new Map<string, number>();
  for (const n of p.nodes) byLabel.set(label(n), (byLabel.get(label(n)) ?? 0) + (self.get(n.id) ?? 0));
  const total = [...byLabel.values()].reduce((a, b) => a + b, 0);
  console.log(`\n${name}: ${(total / 1e6).toFixed(2)} s sampled; top self time:`);
  for (const [l, t] of [...byLabel].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`${((100 * t) / total).toFixed(1).padStart(5)} %  ${l}`);
}

// A plain icicle-style flame graph: each frame's width is its total time (self plus
// children), children left to right by time, root at the top.
function flameGraph(p: Profile, title: string): string {
  const self = selfTimes(p);
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const totals = new Map<number, number>();
  const total = (id: number): number => {
    const cached = totals.get(id);
    if (cached !== undefined) return cached;
    const n = byId.get(id)!;
    const t = (self.get(id) ?? 0) + (n.children ?? []).reduce((a, c) => a + total(c), 0);
    totals.set(id, t);
    return t;
  };
  const root = p.nodes[0];
  const all = total(root.id);
  const width = 1600;
  const row = 16;
  const rects: string[] = [];
  let depthMax = 0;
  const draw = (id: number, x: number, depth: number) => {
    const t = total(id);
    const w = (t / all) * width;
    if (w < 0.5) return;
    depthMax = Math.max(depthMax, depth);
    const n = byId.get(id)!;
    const text = label(n).replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);
    const hue = n.callFrame.url.includes('node_modules') ? 30 : n.callFrame.url.startsWith('node:') || !n.callFrame.url ? 200 : 0;
    rects.push(
      `<g><title>${text} — ${((100 * t) / all).toFixed(1)} %</title><rect x="${x.toFixed(1)}" y="${(depth * row + 24).toFixed(0)}" width="${w.toFixed(1)}" height="${row - 1}" fill="hsl(${hue},70%,${60 + (depth % 3) * 6}%)"/>` +
        (w > 60
          ? `<text x="${(x + 3).toFixed(1)}" y="${(depth * row + 36).toFixed(0)}" font-size="11" font-family="monospace">${text.slice(0, Math.floor(w / 7))}</text>`
          : '') +
        '</g>',
    );
    let cx = x;
    for (const c of [...(byId.get(id)!.children ?? [])].sort((a, b) => total(b) - total(a))) {
      draw(c, cx, depth + 1);
      cx += (total(c) / all) * width;
    }
  };
  draw(root.id, 0, 0);
  const height = (depthMax + 2) * row + 24;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><text x="4" y="16" font-size="13" font-family="sans-serif">${title}; red: Berth, orange: node_modules, blue: Node and native</text>${rects.join('')}</svg>\n`;
}

if (phase === 'push' || phase === 'both') await profileRun('push');
if (phase === 'pull' || phase === 'both') await profileRun('pull');
