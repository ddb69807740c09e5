// `npm start` builds first when dist/ is missing or older than any source file, so a fresh
// clone needs only `npm install && npm start`.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const entry = path.join(root, 'dist/server/main.js');

function newest(dir) {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

const sources = Math.max(newest(path.join(root, 'server')), newest(path.join(root, 'replication')));
if (!existsSync(entry) || sources > statSync(entry).mtimeMs) {
  process.stdout.write('berth: building…\n');
  execFileSync(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
}
// The console (web/ -> dist/web), when its sources changed.
const page = path.join(root, 'dist/web/index.html');
if (!existsSync(page) || newest(path.join(root, 'web')) > statSync(page).mtimeMs) {
  process.stdout.write('berth: building the console…\n');
  execFileSync(
    process.execPath,
    [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--config', path.join(root, 'web/vite.config.ts'), '--logLevel', 'warn'],
    { stdio: 'inherit' },
  );
}
