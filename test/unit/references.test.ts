import assert from 'node:assert/strict';
import { RegistryError } from '../../server/lib/registryErrors.js';
import { assertDigest, assertName, assertTag, isValidName, parseReference } from '../../server/lib/references.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    assert.ok(err instanceof RegistryError, String(err));
    return err.code;
  }
}

describe('references: names, tags, digests', () => {
  it('accepts distribution-spec repository names', () => {
    for (const n of ['a', 'library/ubuntu', 'a/b/c', 'my-app', 'my__app', 'a.b', 'x1/y2.z3-q', 'a---b']) assert.ok(isValidName(n), n);
  });

  it('refuses names that could escape a path or break the grammar', () => {
    for (const n of ['', '../etc', 'a/../b', 'a/./b', '/a', 'a/', 'A', 'a//b', '.a', 'a.', 'a_', '%2e%2e', 'a b', 'a\\b', 'a/-b', 'a...b']) {
      assert.equal(
        code(() => assertName(n)),
        'NAME_INVALID',
        n,
      );
    }
    assert.equal(
      code(() => assertName('a'.repeat(256))),
      'NAME_INVALID',
    );
    assert.equal(
      code(() => assertName('a'.repeat(255))),
      undefined,
    );
  });

  it('validates tags', () => {
    for (const t of ['latest', 'v1.2.3', '_x', 'A-b_c.d', 'a'.repeat(128)])
      assert.equal(
        code(() => assertTag(t)),
        undefined,
        t,
      );
    for (const t of ['', '.x', '-x', 'a/b', 'a'.repeat(129), 'a:b', 'a..b/'])
      assert.equal(
        code(() => assertTag(t)),
        'TAG_INVALID',
        t,
      );
  });

  it('accepts sha256 and sha512 digests only in canonical form', () => {
    assert.equal(assertDigest(`sha256:${'a'.repeat(64)}`).algorithm, 'sha256');
    assert.equal(assertDigest(`sha512:${'0'.repeat(128)}`).algorithm, 'sha512');
    for (const d of [
      `sha256:${'A'.repeat(64)}`,
      `sha256:${'a'.repeat(63)}`,
      `sha512:${'a'.repeat(64)}`,
      'sha256:../../x',
      `md5:${'a'.repeat(32)}`,
      'sha256',
      '',
      `sha256:${'a'.repeat(64)}/x`,
    ]) {
      assert.equal(
        code(() => assertDigest(d)),
        'DIGEST_INVALID',
        d,
      );
    }
  });

  it('tells tags from digests in manifest references', () => {
    assert.deepEqual(parseReference('latest'), { tag: 'latest' });
    assert.ok('digest' in parseReference(`sha256:${'b'.repeat(64)}`));
    assert.equal(
      code(() => parseReference('sha256:zz')),
      'DIGEST_INVALID',
    );
    assert.equal(
      code(() => parseReference('..')),
      'TAG_INVALID',
    );
  });
});
