// Online garbage collection (docs/design/0015) against a real PostgreSQL and blob store:
// what goes and what stays, quotas, dry runs, and the two races, each forced by holding a
// transaction open at the point where the other side must wait for it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { lockRepositoryBlobs } from '../../server/db/blobs.js';
import { claimBlob } from '../../server/db/blobs.js';
import { deleteBlobRows, deleteLinks, lockBlobs, lockLinks, lockProjectsOf, unlinkedBlobs, unreferencedLinks } from '../../server/db/gc.js';
import { checkWithinQuota } from '../../server/registry/quota.js';
import { collectGarbage, type GcOptions } from '../../server/registry/gc.js';
import { parseDigest } from '../../server/lib/references.js';
import { blobKey } from '../../server/storage/keys.js';
import { admin, basic, createProject } from '../helpers/api.js';
import { startTestRegistry, type TestRegistry } from '../helpers/inProcess.js';
import { asBody, getBytes, pushBlob, pushImage, sha256, v2fetch } from '../helpers/v2client.js';

const now: GcOptions = { reviewDelayMs: 0, deleteUntagged: true, dryRun: false, workers: 2 };

describe('garbage collection', () => {
  let r: TestRegistry;
  before(async () => {
    r = await startTestRegistry();
    for (const p of ['gc', 'gcb']) await createProject(r.url, p);
  });
  after(async () => r?.close());

  const gc = (opts: Partial<GcOptions> = {}) => collectGarbage({ db: r.db, store: r.store }, { ...now, ...opts });
  const stored = async (digest: string) => (await r.store.stat(blobKey(parseDigest(digest)!))) !== undefined;
  const used = async (project: string) =>
    Number((await r.db.query<{ u: string }>('SELECT storage_used AS u FROM projects WHERE name = $1', [project])).rows[0].u);
  const blobsOf = (body: Buffer) => {
    const m = JSON.parse(body.toString()) as { config: { digest: string; size: number }; layers: Array<{ digest: string; size: number }> };
    return [m.config, ...m.layers];
  };
  const del = async (repo: string, ref: string) => assert.equal((await v2fetch(`${r.url}/v2/${repo}/manifests/${ref}`, { method: 'DELETE' })).status, 202);
  // Everything queued so far is due: earlier tests' leftovers do not disturb the next.
  beforeEach(async () => {
    await gc();
  });

  async function pushManifest(
    repo: string,
    ref: string,
    blobs: Array<{ digest: string; size: number }>,
  ): Promise<{ status: number; text: string; digest: string }> {
    const manifest = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...blobs[0] },
      layers: blobs.slice(1).map((b) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...b })),
    };
    const body = Buffer.from(JSON.stringify(manifest));
    const res = await v2fetch(`${r.url}/v2/${repo}/manifests/${ref}`, {
      method: 'PUT',
      body: asBody(body),
      headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
    });
    return { status: res.status, text: await res.text(), digest: sha256(body) };
  }

  it('deletes the blobs of a deleted artifact, keeps what another repository still uses, and lowers the quota by exactly what the project no longer holds', async () => {
    const a = await pushImage(r.url, 'gc/app', 'v1');
    const blobs = blobsOf(a.body);
    // The same layer in an image of another project's repository.
    const shared = blobs[1];
    const layerBytes = (await getBytes(`${r.url}/v2/gc/app/blobs/${shared.digest}`)).body;
    await pushBlob(r.url, 'gcb/other', layerBytes);
    const otherConfig = randomBytes(32);
    const other = await pushManifest('gcb/other', 'v1', [{ digest: await pushBlob(r.url, 'gcb/other', otherConfig), size: otherConfig.length }, shared]);
    assert.equal(other.status, 201, other.text);
    const before = await used('gc');
    await del('gc/app', a.digest);
    const result = await gc();
    assert.equal(result.links, 2);
    assert.equal(result.blobs, 1, 'only the config: the layer is still linked from gcb/other');
    assert.equal(result.freedBytes, blobs[0].size);
    assert.equal(await stored(blobs[0].digest), false);
    assert.equal(await stored(shared.digest), true);
    assert.equal(before - (await used('gc')), blobs[0].size + shared.size, 'gc no longer holds either blob');
    assert.equal(result.released.gc, blobs[0].size + shared.size);
    assert.equal((await getBytes(`${r.url}/v2/gcb/other/blobs/${shared.digest}`)).body.equals(layerBytes), true);
    assert.equal((await v2fetch(`${r.url}/v2/gc/app/blobs/${blobs[0].digest}`, { method: 'HEAD' })).status, 404);
  });

  it('waits out the review delay, and a dry run reports what would go without changing anything', async () => {
    const a = await pushImage(r.url, 'gc/delay', 'v1');
    await del('gc/delay', a.digest);
    const waiting = await gc({ reviewDelayMs: 3_600_000 });
    assert.deepEqual([waiting.links, waiting.blobs], [0, 0]);
    const lines: string[] = [];
    const dry = await gc({ dryRun: true, log: (l) => lines.push(l) });
    const size = blobsOf(a.body).reduce((n, b) => n + b.size, 0);
    assert.deepEqual([dry.links, dry.blobs, dry.freedBytes], [2, 2, size]);
    assert.ok(lines.some((l) => l.startsWith('would delete blob ')));
    for (const b of blobsOf(a.body)) assert.equal(await stored(b.digest), true, 'a dry run deletes nothing');
    const real = await gc();
    assert.deepEqual([real.links, real.blobs, real.freedBytes], [2, 2, size], 'the dry run said what the run did');
    for (const b of blobsOf(a.body)) assert.equal(await stored(b.digest), false);
  });

  it('collects untagged manifests only when asked, keeping index children and referrers of present subjects', async () => {
    const img = await pushImage(r.url, 'gc/untagged', 'v1');
    // Moving the tag leaves v1's manifest untagged.
    await pushImage(r.url, 'gc/untagged', 'v1');
    const kept = await gc({ deleteUntagged: false });
    assert.equal(kept.manifests, 0);
    assert.equal((await v2fetch(`${r.url}/v2/gc/untagged/manifests/${img.digest}`, { method: 'HEAD' })).status, 200);
    // An index (tagged) with a child pushed by digest, and a referrer of the index.
    const child = await pushImage(r.url, 'gc/untagged', 'child');
    await v2fetch(`${r.url}/v2/gc/untagged/manifests/child`, { method: 'DELETE' });
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: child.digest,
            size: child.body.length,
            platform: { architecture: 'amd64', os: 'linux' },
          },
        ],
      }),
    );
    const put = await v2fetch(`${r.url}/v2/gc/untagged/manifests/multi`, {
      method: 'PUT',
      body: asBody(index),
      headers: { 'Content-Type': 'application/vnd.oci.image.index.v1+json' },
    });
    assert.equal(put.status, 201);
    const emptyConfig = Buffer.from('{}');
    const signature = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType: 'application/vnd.dev.cosign.artifact.sig.v1+json',
        config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: await pushBlob(r.url, 'gc/untagged', emptyConfig), size: 2 },
        layers: [{ mediaType: 'application/vnd.oci.empty.v1+json', digest: sha256(emptyConfig), size: 2 }],
        subject: { mediaType: 'application/vnd.oci.image.index.v1+json', digest: sha256(index), size: index.length },
      }),
    );
    assert.equal(
      (
        await v2fetch(`${r.url}/v2/gc/untagged/manifests/${sha256(signature)}`, {
          method: 'PUT',
          body: asBody(signature),
          headers: { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' },
        })
      ).status,
      201,
    );
    const lines: string[] = [];
    const swept = await gc({ log: (l) => lines.push(l) });
    assert.equal(swept.manifests, 1, lines.join('\n'));
    assert.equal((await v2fetch(`${r.url}/v2/gc/untagged/manifests/${img.digest}`, { method: 'HEAD' })).status, 404);
    for (const d of [child.digest, sha256(signature), sha256(index)]) {
      assert.equal((await v2fetch(`${r.url}/v2/gc/untagged/manifests/${d}`, { method: 'HEAD' })).status, 200, `${d} is kept`);
    }
    for (const b of blobsOf(img.body)) assert.equal(await stored(b.digest), false, 'the untagged image went with its blobs, in one run');
    // The index goes: its child and its referrer are then untagged and unreferenced.
    await del('gc/untagged', sha256(index));
    const rest = await gc();
    assert.equal(rest.manifests, 2);
    for (const d of [child.digest, sha256(signature)]) assert.equal((await v2fetch(`${r.url}/v2/gc/untagged/manifests/${d}`, { method: 'HEAD' })).status, 404);
  });

  it('a repository deleted through the API frees its blobs', async () => {
    const a = await pushImage(r.url, 'gc/doomed', 'v1');
    const res = await fetch(`${r.url}/api/v2.0/projects/gc/repositories/doomed`, { method: 'DELETE', headers: { Authorization: basic(admin) } });
    assert.equal(res.status, 200);
    const result = await gc();
    assert.equal(result.blobs, 2);
    for (const b of blobsOf(a.body)) assert.equal(await stored(b.digest), false);
  });

  it('after collection, pushing the same content again writes the bytes again', async () => {
    const a = await pushImage(r.url, 'gc/again', 'v1');
    const layer = blobsOf(a.body)[1];
    const bytes = (await getBytes(`${r.url}/v2/gc/again/blobs/${layer.digest}`)).body;
    await del('gc/again', a.digest);
    await gc();
    assert.equal(await stored(layer.digest), false);
    await pushBlob(r.url, 'gc/again', bytes);
    assert.equal(await stored(layer.digest), true);
    assert.ok((await getBytes(`${r.url}/v2/gc/again/blobs/${layer.digest}`)).body.equals(bytes));
  });

  it('race (a): a manifest push holding its blobs keeps them from a concurrent collection', async () => {
    const config = randomBytes(64);
    const layer = randomBytes(512);
    const blobs = [
      { digest: await pushBlob(r.url, 'gc/race', config), size: config.length },
      { digest: await pushBlob(r.url, 'gc/race', layer), size: layer.length },
    ];
    const repositoryId = Number((await r.db.query<{ id: string }>(`SELECT id FROM repositories WHERE name = 'gc/race'`)).rows[0].id);
    // A push between locking its project and links and committing its references (what
    // putManifest does in one transaction), held open while the collector runs.
    let release!: () => void;
    const hold = new Promise<void>((res) => (release = res));
    let locked!: () => void;
    const lockedP = new Promise<void>((res) => (locked = res));
    const push = r.db.tx(async (q) => {
      await checkWithinQuota(q, 'gc/race');
      assert.equal(
        (
          await lockRepositoryBlobs(
            q,
            repositoryId,
            blobs.map((b) => b.digest),
          )
        ).size,
        2,
      );
      const { rows } = await q.query<{ id: string }>(
        `INSERT INTO manifests (repository_id, digest, media_type, payload) VALUES ($1, $2, 'application/vnd.oci.image.manifest.v1+json', '\\x7b7d') RETURNING id`,
        [repositoryId, sha256(randomBytes(8))],
      );
      await q.query('INSERT INTO manifest_blobs (manifest_id, digest) SELECT $1, unnest($2::text[])', [rows[0].id, blobs.map((b) => b.digest)]);
      await q.query(`INSERT INTO tags (repository_id, name, manifest_id) VALUES ($1, 'held', $2)`, [repositoryId, rows[0].id]);
      locked();
      await hold;
    });
    await lockedP;
    const collecting = gc();
    await waitForLockWaiter(r);
    release();
    await push;
    const during = await collecting;
    assert.equal(during.links, 0, 'the collector waited for the push and then saw its references');
    assert.equal(during.blobs, 0);
    for (const b of blobs) {
      assert.equal(await stored(b.digest), true);
      assert.equal((await v2fetch(`${r.url}/v2/gc/race/blobs/${b.digest}`, { method: 'HEAD' })).status, 200);
    }
  });

  it('race (a), the other order: a push waiting on a link the collector deletes fails with MANIFEST_BLOB_UNKNOWN and stores nothing', async () => {
    const config = randomBytes(64);
    const blobs = [{ digest: await pushBlob(r.url, 'gc/race2', config), size: config.length }];
    const repositoryId = Number((await r.db.query<{ id: string }>(`SELECT id FROM repositories WHERE name = 'gc/race2'`)).rows[0].id);
    const link = [{ repository_id: repositoryId, digest: blobs[0].digest }];
    // The collector's link phase, held open after its decision (db/gc.ts, in its order).
    let decided!: () => void;
    const decidedP = new Promise<void>((res) => (decided = res));
    let finish!: () => void;
    const finishP = new Promise<void>((res) => (finish = res));
    const collector = r.db.tx(async (q) => {
      await lockProjectsOf(q, [repositoryId]);
      const { locked } = await lockLinks(q, link);
      assert.equal(locked.length, 1);
      assert.equal((await unreferencedLinks(q, locked)).length, 1);
      decided();
      await finishP;
      await deleteLinks(q, locked);
    });
    await decidedP;
    const push = pushManifest('gc/race2', 'v1', blobs);
    await waitForLockWaiter(r);
    finish();
    await collector;
    const res = await push;
    assert.equal(res.status, 400);
    assert.match(res.text, /MANIFEST_BLOB_UNKNOWN/);
    assert.equal((await v2fetch(`${r.url}/v2/gc/race2/manifests/v1`, { method: 'HEAD' })).status, 404);
  });

  it('race (b): an upload of a digest whose bytes are being deleted waits, then writes them again', async () => {
    const data = randomBytes(2048);
    const digest = await pushBlob(r.url, 'gc/raceb', data);
    await r.db.query(`DELETE FROM repository_blobs WHERE digest = $1`, [digest]);
    // The collector's blob phase, holding the row after it deleted the bytes.
    let deleted!: () => void;
    const deletedP = new Promise<void>((res) => (deleted = res));
    let finish!: () => void;
    const finishP = new Promise<void>((res) => (finish = res));
    const collector = r.db.tx(async (q) => {
      const { locked } = await lockBlobs(q, [digest]);
      assert.deepEqual(
        (await unlinkedBlobs(q, locked)).map((b) => b.digest),
        [digest],
      );
      await r.store.delete(blobKey(parseDigest(digest)!));
      deleted();
      await finishP;
      await deleteBlobRows(q, locked);
    });
    await deletedP;
    const upload = pushBlob(r.url, 'gc/raceb', data);
    await waitForLockWaiter(r);
    finish();
    await collector;
    assert.equal(await upload, digest);
    assert.equal(await stored(digest), true, 'the bytes are there after both committed');
    assert.ok((await getBytes(`${r.url}/v2/gc/raceb/blobs/${digest}`)).body.equals(data));
  });

  it('race (b), the other order: the collector skips a blob an upload holds', async () => {
    const data = randomBytes(256);
    const digest = await pushBlob(r.url, 'gc/raceb2', data);
    await r.db.query(`DELETE FROM repository_blobs WHERE digest = $1`, [digest]);
    let release!: () => void;
    const hold = new Promise<void>((res) => (release = res));
    let claimed!: () => void;
    const claimedP = new Promise<void>((res) => (claimed = res));
    const upload = r.db.tx(async (q) => {
      await claimBlob(q, digest, data.length);
      claimed();
      await hold;
    });
    await claimedP;
    const during = await gc();
    assert.equal(during.blobs, 0);
    assert.equal(await stored(digest), true);
    release();
    await upload;
  });
});

/** Until another session of this database waits for a row lock (the side that must wait). */
async function waitForLockWaiter(r: TestRegistry): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await r.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    if (rows[0].n > 0) return;
    await new Promise((res) => setTimeout(res, 25));
  }
  throw new Error('nothing came to wait for the lock');
}
