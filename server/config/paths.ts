// Where the project's own files are (migrations/, docs/), whether the code runs from
// server/ (tests, via tsx) or from dist/server/ (built): the first ancestor holding
// package.json and migrations/.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findProjectRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) || !existsSync(path.join(dir, 'migrations'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the project root (package.json with migrations/)');
    dir = parent;
  }
  return dir;
}

export const projectRoot = findProjectRoot();
