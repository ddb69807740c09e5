import assert from 'node:assert/strict';
import { pathFault, queryFault } from '../../server/lib/queryText.js';

const rules = { maxBytes: 16 };

describe('query text', () => {
  it('accepts sane text, escaped or not, and an empty or missing value', () => {
    for (const q of ['', 'n=10&last=a', 'q=name%3D~x', 'last=%C3%A9', 'a+b=c+d', 'flag', 'x=', '&&n=1']) assert.equal(queryFault(q, rules), undefined, q);
  });

  it('names the parameter and the fault', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['last=a%00', 'last', /control character/],
      ['last=%FF', 'last', /not valid UTF-8/],
      ['last=%C3%28', 'last', /not valid UTF-8/],
      ['last=\u00ff', 'last', /not valid UTF-8/],
      ['last=%zz', 'last', /two hex digits/],
      ['last=%4', 'last', /two hex digits/],
      ['last=aaaaaaaaaaaaaaaaa', 'last', /longer than 16 bytes/],
      ['last=%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9', 'last', /longer than 16 bytes/],
      ['n=1&n=2', 'n', /more than once/],
      ['%FF=1', '%FF', /parameter name is not valid UTF-8/],
    ];
    for (const [q, name, problem] of cases) {
      const fault = queryFault(q, rules);
      assert.equal(fault?.name, name, q);
      assert.match(fault!.problem, problem, q);
    }
  });

  it('checks only the names a route reads, and lets the repeatable ones repeat', () => {
    assert.equal(queryFault('other=%00&n=1', { ...rules, only: new Set(['n']) }), undefined);
    assert.equal(queryFault('%FF=1&n=1', { ...rules, only: new Set(['n']) }), undefined);
    assert.equal(queryFault('n=%00', { ...rules, only: new Set(['n']) })?.name, 'n');
    assert.equal(queryFault('scope=a&scope=b', { ...rules, repeatable: new Set(['scope']) }), undefined);
  });

  it('reads a path with "+" as itself and refuses NUL and invalid UTF-8', () => {
    assert.equal(pathFault('/api/v2.0/projects/a+b'), undefined);
    assert.equal(pathFault('/api/v2.0/projects/caf%C3%A9'), undefined);
    assert.match(pathFault('/api/v2.0/projects/a%00')!, /control character/);
    assert.match(pathFault('/api/v2.0/projects/%FF')!, /not valid UTF-8/);
    assert.match(pathFault('/api/v2.0/projects/%G0')!, /two hex digits/);
  });
});
