// Temporary directories for daemons and clients. Removal first unmounts anything the
// daemons left mounted inside: `rm -rf` through a live overlay or bind mount would
// delete through it, and a busy mount would make the removal fail anyway.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { run } from './run.js';

export async function makeScratchDir(label: string): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), `berth-e2e-${label}-`));
}

/** Mount points at or below `dir`, deepest first, from this process's mount table. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const table = await readFile('/proc/self/mountinfo', 'utf8');
  const root = path.resolve(dir);
  const points = table
    .split('\n')
    .filter(Boolean)
    // Field 5 is the mount point; spaces and the like are written as octal escapes.
    .map((line) => line.split(' ')[4].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === root || p.startsWith(`${root}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

export async function unmountUnder(dir: string): Promise<void> {
  // A mount can be stacked several times on one point, so loop until none is left.
  for (let round = 0; round < 5; round++) {
    const points = await mountsUnder(dir);
    if (points.length === 0) return;
    for (const p of points) {
      const r = await run('umount', [p], { allowFailure: true });
      // A still-busy mount is detached lazily, so that cleanup finishes.
      if (r.code !== 0) await run('umount', ['-l', p], { allowFailure: true });
    }
  }
  const left = await mountsUnder(dir);
  if (left.length) throw new Error(`could not unmount under ${dir}: ${left.join(', ')}`);
}

export async function removeScratchDir(dir: string | undefined): Promise<void> {
  if (!dir) return;
  await unmountUnder(dir);
  if (process.env.BERTH_E2E_KEEP === '1') {
    console.log(`e2e: keeping ${dir} (BERTH_E2E_KEEP=1)`);
    return;
  }
  await rm(dir, { recursive: true, force: true });
}
