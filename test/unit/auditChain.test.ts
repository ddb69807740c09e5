import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { canonical, chain, genesisHash, rowHash } from '../../server/audit/chain.js';
import type { AuditFields } from '../../server/db/audit.js';

const row: Omit<AuditFields, 'id'> = {
  opTime: new Date('2026-01-02T03:04:05.678Z'),
  username: 'alice',
  actorType: 'user',
  clientAddress: '192.0.2.7',
  operation: 'create',
  resourceType: 'artifact',
  resource: 'team/app:v1@sha256:abc',
  projectId: 3,
  projectName: 'team',
  isSuccessful: true,
  count: 1,
  errorCode: null,
  userAgent: 'docker/27.0',
  requestId: 'req-1',
};

describe('audit hash chain', () => {
  it('encodes a row canonically; stored chains depend on this exact form', () => {
    const text = canonical({ ...row, id: 1 });
    assert.equal(
      text,
      '[1,"2026-01-02T03:04:05.678Z","alice","user","192.0.2.7","create","artifact","team/app:v1@sha256:abc",3,"team",true,1,null,"docker/27.0","req-1"]',
    );
    assert.equal(rowHash(genesisHash, { ...row, id: 1 }), createHash('sha256').update(`${genesisHash}\n${text}`).digest('hex'));
  });

  it('links each row to the one before and gives gapless ids after the head', () => {
    const rows = chain(41, 'f'.repeat(64), [row, { ...row, operation: 'delete' }, { ...row, count: 7 }]);
    assert.deepEqual(
      rows.map((r) => r.id),
      [42, 43, 44],
    );
    assert.equal(rows[0].prevHash, 'f'.repeat(64));
    assert.equal(rows[1].prevHash, rows[0].hash);
    assert.equal(rows[2].prevHash, rows[1].hash);
    for (const r of rows) assert.equal(rowHash(r.prevHash, r), r.hash);
  });

  it('changes the hash when any field changes', () => {
    const base = rowHash(genesisHash, { ...row, id: 1 });
    const variants: Array<Partial<AuditFields>> = [
      { id: 2 },
      { opTime: new Date(row.opTime.getTime() + 1) },
      { username: 'mallory' },
      { clientAddress: null },
      { resource: 'team/app:v2' },
      { projectId: null },
      { isSuccessful: false },
      { count: 2 },
      { errorCode: 'DENIED' },
      { userAgent: null },
      { requestId: 'req-2' },
    ];
    for (const v of variants) assert.notEqual(rowHash(genesisHash, { ...row, id: 1, ...v }), base, JSON.stringify(v));
    assert.notEqual(rowHash('1'.repeat(64), { ...row, id: 1 }), base);
  });
});
