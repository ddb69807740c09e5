// The asynchronous audit writer (pulls, logins) and the syslog forwarder, against a real
// database and real UDP and TCP sockets.
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { AuditForwarder } from '../../server/audit/forwarder.js';
import { pendingRow, recordAudit } from '../../server/audit/record.js';
import { AuditWriter } from '../../server/audit/writer.js';
import { admin, basic, createProject } from '../helpers/api.js';
import { startTestRegistry, type TestRegistry } from '../helpers/inProcess.js';
import { pushImage, v2fetch } from '../helpers/v2client.js';

const pull = (i: number) => pendingRow({ operation: 'pull', resourceType: 'artifact', resource: `lib/app:${i}` });

describe(`audit writer and forwarder`, function () {
  this.timeout(60_000);
  let r: TestRegistry;
  const count = async (where = "operation = 'pull'") => (await r.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_log WHERE ${where}`)).rows[0].n;
  const events = async (where = "operation = 'pull'") =>
    (await r.db.query<{ n: number }>(`SELECT COALESCE(sum(count), 0)::int AS n FROM audit_log WHERE ${where}`)).rows[0].n;

  before(async () => (r = await startTestRegistry()));
  after(async () => r?.close());

  it('answers a pull burst while the audit log is locked, then records every pull', async () => {
    await pushImage(r.url, 'library/burst', 'v1');
    await r.flushAudit();
    const before = await events();
    const burst = () => Promise.all(Array.from({ length: 50 }, () => v2fetch(`${r.url}/v2/library/burst/manifests/v1`)));
    // Another transaction holds the chain head for the whole burst: any pull that waited
    // for its audit row would hang here until the lock is released.
    await r.db.tx(async (q) => {
      await q.query('SELECT last_id FROM audit_chain FOR UPDATE');
      const started = Date.now();
      const responses = await burst();
      assert.ok(responses.every((x) => x.status === 200));
      assert.ok(Date.now() - started < 5000);
      await new Promise((done) => setTimeout(done, 1200)); // the writer's timer fires and waits on the lock
      assert.ok(r.app.auditWriter.stats().pending > 0);
    });
    await r.flushAudit();
    assert.equal((await events()) - before, 50, 'every pull counted');
  });

  it("flushes rows queued while the timer's write is waiting, not only the rows that write took", async () => {
    const writer = new AuditWriter(r.db, { intervalMs: 100 });
    const resource = (s: string) => `lib/race:${s}`;
    let flushed: Promise<void> | undefined;
    await r.db.tx(async (q) => {
      await q.query('SELECT last_id FROM audit_chain FOR UPDATE');
      writer.enqueue(pendingRow({ operation: 'pull', resourceType: 'artifact', resource: resource('early') }));
      await new Promise((done) => setTimeout(done, 400)); // the timer's drain took 'early' and waits on the lock
      writer.enqueue(pendingRow({ operation: 'pull', resourceType: 'artifact', resource: resource('late') }));
      flushed = writer.flush();
    });
    await flushed;
    assert.equal(await count("resource LIKE 'lib/race:%'"), 2, 'the row queued during the write is written by the flush');
    await writer.close();
  });

  it('counts identical events in one row while it waits, and starts a new row once it is written', async () => {
    const writer = new AuditWriter(r.db, { intervalMs: 60_000 });
    const event = { operation: 'pull' as const, resourceType: 'artifact', resource: 'lib/same:v1' };
    for (let i = 0; i < 5; i++) writer.enqueue(pendingRow(event));
    writer.enqueue(pendingRow({ ...event, resource: 'lib/same:v2' }));
    writer.enqueue({ ...pendingRow(event), clientAddress: '192.0.2.1' });
    await writer.flush();
    writer.enqueue(pendingRow(event));
    await writer.close();
    const rows = (
      await r.db.query<{ resource: string; client_address: string | null; count: number }>(
        "SELECT resource, client_address, count FROM audit_log WHERE resource LIKE 'lib/same:%' ORDER BY id",
      )
    ).rows;
    assert.deepEqual(rows, [
      { resource: 'lib/same:v1', client_address: null, count: 5 },
      { resource: 'lib/same:v2', client_address: null, count: 1 },
      { resource: 'lib/same:v1', client_address: '192.0.2.1', count: 1 },
      { resource: 'lib/same:v1', client_address: null, count: 1 },
    ]);
  });

  it('keeps rows while the database refuses them, drops past its bound, and records how many it dropped', async () => {
    const writer = new AuditWriter(r.db, { maxPending: 3, intervalMs: 60_000 });
    // A real failure: the chain head is briefly unavailable, as if the database were away.
    await r.db.query('ALTER TABLE audit_chain RENAME TO audit_chain_away');
    try {
      for (let i = 0; i < 5; i++) writer.enqueue(pull(1000 + i));
      await writer.flush();
      assert.deepEqual(writer.stats(), { pending: 3, dropped: 2, written: 0 });
    } finally {
      await r.db.query('ALTER TABLE audit_chain_away RENAME TO audit_chain');
    }
    await writer.close();
    assert.deepEqual(writer.stats(), { pending: 0, dropped: 0, written: 3 });
    assert.equal(await count("resource LIKE 'lib/app:100%'"), 3);
    const status = await (await fetch(`${r.url}/api/v2.0/audit-logs/status`, { headers: { Authorization: basic(admin) } })).json();
    assert.equal(status.dropped, 2, 'the drop count is stored and shown');
    assert.equal(status.rows, status.last_id);
    const verified = await (await fetch(`${r.url}/api/v2.0/audit-logs/verify`, { headers: { Authorization: basic(admin) } })).json();
    assert.equal(verified.intact, true);
  });

  it('writes everything queued on close (a clean shutdown loses nothing)', async () => {
    const writer = new AuditWriter(r.db, { intervalMs: 60_000 });
    for (let i = 0; i < 2500; i++) writer.enqueue(pull(5000 + i));
    await writer.close();
    assert.equal(await count("resource LIKE 'lib/app:5%' OR resource LIKE 'lib/app:6%' OR resource LIKE 'lib/app:7%'"), 2500);
  });

  it('serializes appends from concurrent writers into one unbroken chain', async () => {
    const writers = Array.from({ length: 4 }, () => new AuditWriter(r.db, { maxBatch: 7, intervalMs: 60_000 }));
    await Promise.all([
      ...writers.map(async (w, k) => {
        for (let i = 0; i < 40; i++) w.enqueue(pull(9000 + k * 100 + i));
        await w.close();
      }),
      ...Array.from({ length: 10 }, (_, i) => createProject(r.url, `concurrent-${i}`)),
    ]);
    const verified = await (await fetch(`${r.url}/api/v2.0/audit-logs/verify`, { headers: { Authorization: basic(admin) } })).json();
    assert.equal(verified.intact, true, JSON.stringify(verified));
  });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`forwards committed rows to syslog over ${transport.toUpperCase()} as RFC 5424, once each`, async () => {
      const received: string[] = [];
      let port: number;
      let close: () => Promise<void>;
      if (transport === 'udp') {
        const socket = dgram.createSocket('udp4');
        socket.on('message', (m) => received.push(m.toString('utf8')));
        await new Promise<void>((done) => socket.bind(0, '127.0.0.1', () => done()));
        port = socket.address().port;
        close = () => new Promise((done) => socket.close(() => done()));
      } else {
        const sockets: net.Socket[] = [];
        const server = net.createServer((s) => {
          sockets.push(s);
          let buf = '';
          s.on('data', (d) => {
            buf += d.toString('utf8');
            const lines = buf.split('\n');
            buf = lines.pop()!;
            received.push(...lines);
          });
        });
        await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
        port = (server.address() as net.AddressInfo).port;
        close = async () => {
          for (const s of sockets) s.destroy();
          await new Promise((done) => server.close(done));
        };
      }
      const forwarder = new AuditForwarder(r.db, { transport, host: '127.0.0.1', port }, undefined, 50);
      try {
        await r.db.query('UPDATE audit_chain SET forwarded_id = 0');
        await forwarder.start(); // first use: starts at the head, no replay of history
        await forwarder.tick();
        assert.equal(received.length, 0);
        await r.db.tx((q) =>
          recordAudit(q, [
            { operation: 'create', resourceType: 'project', resource: `syslog-${transport}-1` },
            { operation: 'delete', resourceType: 'project', resource: `syslog-${transport}-2` },
          ]),
        );
        await forwarder.tick();
        await forwarder.tick();
        const deadline = Date.now() + 5000;
        while (received.length < 2 && Date.now() < deadline) await new Promise((done) => setTimeout(done, 20));
        assert.equal(received.length, 2, received.join('\n'));
        // <PRI>1 TIMESTAMP HOST APP PROCID MSGID - MSG, facility audit (13), severity info (6): 13*8+6 = 110.
        const m = /^<110>1 (\S+) \S+ berth \d+ - - (\{.*\})\n?$/.exec(received[0]);
        assert.ok(m, `RFC 5424 shape: ${received[0]}`);
        const row = JSON.parse(m[2]);
        assert.equal(row.resource, `syslog-${transport}-1`);
        assert.equal(row.actor_type, 'system');
        assert.match(row.hash, /^[0-9a-f]{64}$/);
        assert.equal(JSON.parse(/\{.*\}/.exec(received[1])![0]).resource, `syslog-${transport}-2`);
      } finally {
        await forwarder.close();
        await close();
      }
    });
  }
});
