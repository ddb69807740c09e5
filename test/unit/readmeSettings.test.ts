// The README's configuration table must list exactly the settings the server reads.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { settings } from '../../server/config/config.js';
import { repoRoot } from '../helpers/berthProcess.js';

describe('README configuration table', () => {
  it('names every setting with its default, and nothing else', () => {
    const readme = readFileSync(`${repoRoot}/README.md`, 'utf8');
    const section = /<!-- settings:begin[^>]*-->([\s\S]*?)<!-- settings:end -->/.exec(readme)?.[1];
    assert.ok(section, 'README.md lacks the settings:begin/end markers');
    const rows = [...section.matchAll(/^\| `([A-Z0-9_]+)` \| (?:`([^`]*)`|\*\(unset\)\*) \|/gm)].map((m) => [m[1], m[2]]);
    const expected = Object.entries(settings).map(([name, s]) => [name, s.default]);
    assert.deepEqual(rows, expected);
  });
});
