// Files that make up the test images' layers. Random bytes (fresh per run) keep gzip
// honest and make every layer digest unique, so a pull can only succeed by fetching
// what this run pushed.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Relative path (no leading slash) -> content. */
export type LayerFiles = Map<string, Buffer>;

/**
 * Three layers: a small text file, a mid-size binary, and a ~1.5 MiB binary so that
 * uploads are larger than one socket buffer. Each layer lives under its own directory
 * so the union of all layers is easy to check.
 */
export function makeLayers(label: string, sizes: number[] = [1_024, 200 * 1024, 1536 * 1024]): LayerFiles[] {
  return sizes.map((size, i) => {
    const dir = `${label}/layer${i + 1}`;
    return new Map([
      [`${dir}/readme.txt`, Buffer.from(`${label} layer ${i + 1}, ${new Date().toISOString()}\n`)],
      [`${dir}/payload.bin`, randomBytes(size)],
    ]);
  });
}

export function mergeLayers(layers: LayerFiles[]): LayerFiles {
  const all: LayerFiles = new Map();
  for (const l of layers) for (const [p, c] of l) all.set(p, c);
  return all;
}

export async function writeFiles(root: string, files: LayerFiles): Promise<void> {
  for (const [rel, content] of files) {
    const file = path.join(root, rel);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
  }
}

/** Throws naming the first file under `root` that is missing or differs. */
export async function expectFiles(root: string, files: LayerFiles): Promise<void> {
  for (const [rel, content] of files) {
    let actual: Buffer;
    try {
      actual = await readFile(path.join(root, rel));
    } catch (e) {
      throw new Error(`pulled image lacks /${rel} (looked in ${root}): ${(e as Error).message}`);
    }
    if (!actual.equals(content)) {
      throw new Error(`pulled /${rel} differs: ${actual.length} bytes, expected ${content.length}`);
    }
  }
}
