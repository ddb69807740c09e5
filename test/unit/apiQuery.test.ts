import assert from 'node:assert/strict';
import { harborError } from '../../server/api/errors.js';
import { pageLinks, parsePaging, parseQuery, parseSort } from '../../server/api/query.js';

const keys = ['name', 'creation_time', 'public', 'owner_id'];
const status = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    const refusal = harborError(err);
    assert.ok(refusal, String(err));
    return `${refusal.status} ${refusal.code}`;
  }
  return 'ok';
};

describe('management API listing parameters', () => {
  it('parses every form of Harbor q', () => {
    const f = parseQuery('name=~team,public=true,owner_id={1 2  3},creation_time=[2025-01-01T00:00:00~]', keys);
    assert.deepEqual(f.get('name'), { kind: 'fuzzy', value: 'team' });
    assert.deepEqual(f.get('public'), { kind: 'exact', value: 'true' });
    assert.deepEqual(f.get('owner_id'), { kind: 'or', values: [1, 2, 3] });
    assert.deepEqual(f.get('creation_time'), { kind: 'range', min: new Date('2025-01-01T00:00:00Z') });
    assert.deepEqual(parseQuery('name=(a "b")', keys).get('name'), { kind: 'and', values: ['a', 'b'] });
    assert.deepEqual(parseQuery('name=[~10]', keys).get('name'), { kind: 'range', max: 10 });
    assert.deepEqual(parseQuery('name=\\~literal', keys).get('name'), { kind: 'exact', value: '~literal' });
    assert.equal(parseQuery(undefined, keys).size, 0);
  });

  const bad = ['name', 'name=', '=x', 'name=~', 'name=[1~2~3]', 'name=[~]', 'name=[1~2', 'name={a b', 'name=(a b', 'password=x'];
  for (const q of bad)
    it(`refuses q=${q} with 400`, () =>
      assert.equal(
        status(() => parseQuery(q, keys)),
        '400 BAD_REQUEST',
      ));

  it('sorts only by allowed keys', () => {
    assert.deepEqual(parseSort('name,-creation_time', keys), [
      { key: 'name', descending: false },
      { key: 'creation_time', descending: true },
    ]);
    assert.equal(
      status(() => parseSort('name;drop table', keys)),
      '400 BAD_REQUEST',
    );
  });

  it('pages with Harbor defaults and limits', () => {
    assert.deepEqual(parsePaging(undefined, undefined), { page: 1, pageSize: 10, offset: 0 });
    assert.deepEqual(parsePaging('3', '20'), { page: 3, pageSize: 20, offset: 40 });
    for (const [p, s] of [
      ['0', '10'],
      ['1', '101'],
      ['1', '-5'],
      ['99999999999', '10'],
    ])
      assert.equal(
        status(() => parsePaging(p, s)),
        '422 UNPROCESSABLE_ENTITY',
      );
    for (const [p, s] of [
      ['x', '10'],
      ['1', '1.5'],
      ['1', '0x10'],
      ['1 ', '10'],
    ])
      assert.equal(
        status(() => parsePaging(p, s)),
        '400 BAD_REQUEST',
      );
  });

  it('links the neighbouring pages that have items', () => {
    const q = new URLSearchParams('q=name%3D~a&page=2&page_size=10');
    assert.equal(
      pageLinks('/api/v2.0/projects', q, parsePaging('2', '10'), 35),
      '</api/v2.0/projects?q=name%3D%7Ea&page=1&page_size=10>; rel="prev" , </api/v2.0/projects?q=name%3D%7Ea&page=3&page_size=10>; rel="next"',
    );
    assert.equal(pageLinks('/p', new URLSearchParams(), parsePaging('1', '10'), 10), undefined);
    assert.match(pageLinks('/p', new URLSearchParams(), parsePaging('4', '10'), 35)!, /^<\/p\?page=3&page_size=10>; rel="prev"$/);
  });
});
