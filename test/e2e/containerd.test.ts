// containerd's ctr: import an image archive, push it over plain HTTP, delete it locally,
// pull it back (unpacking it, which checks every layer against the config's diff_ids)
// and compare digests and blob bytes. ctr authenticates with `--user` as a developer of
// project e2e (containerd asks Berth's token service itself: POST first, then GET).
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ctrUserFlag, type Credentials } from './support/auth.js';
import { startContainerd, type Containerd } from './support/containerd.js';
import { makeLayers } from './support/content.js';
import { dumpLogsOnFailure } from './support/diagnostics.js';
import { buildOciImage, ociArchive, type OciImage } from './support/ociImage.js';
import { startRegistry, type TargetRegistry } from './support/registry.js';
import { getManifest } from './support/registryApi.js';
import { makeScratchDir, removeScratchDir } from './support/scratch.js';

/** `ctr images ls` columns: REF TYPE DIGEST SIZE PLATFORMS LABELS */
async function listedDigest(c: Containerd, ref: string): Promise<string | undefined> {
  const out = (await c.ctr(['images', 'ls'])).stdout;
  const row = out
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((cols) => cols[0] === ref);
  return row?.[2];
}

describe('e2e: containerd (ctr)', () => {
  let reg: TargetRegistry | undefined;
  let dir: string | undefined;
  let containerd: Containerd | undefined;
  let image: OciImage;
  let ref: string;
  let creds: Credentials | undefined;

  before(async () => {
    dir = await makeScratchDir('containerd');
    containerd = await startContainerd(dir);
    reg = await startRegistry();
    creds = await reg.pusher('e2e', 'e2e-ctr');
    ref = `${reg.host}/e2e/ctr-img:v1`;
    image = buildOciImage(makeLayers('ctr'));
  });

  afterEach(function () {
    dumpLogsOnFailure(this, [
      ['registry', () => reg?.output() ?? ''],
      ['containerd', () => containerd?.daemon.log() ?? ''],
    ]);
  });

  after(async () => {
    await containerd?.daemon.stop();
    await reg?.dispose();
    await removeScratchDir(dir);
  });

  it('imports an image archive', async () => {
    const archive = path.join(dir!, 'image.tar');
    await writeFile(archive, ociArchive(image, ref));
    await containerd!.ctr(['images', 'import', '--snapshotter', 'native', archive]);
    assert.equal(await listedDigest(containerd!, ref), image.manifestDigest);
  });

  it('pushes it with --plain-http; the registry serves the same manifest', async () => {
    await containerd!.ctr(['images', 'push', '--plain-http', ...ctrUserFlag(creds), ref]);
    const served = await getManifest(reg!, 'e2e/ctr-img', 'v1');
    assert.equal(served.digest, image.manifestDigest);
  });

  it('pulls it back after removing it, with identical digest and blobs', async () => {
    const c = containerd!;
    await c.ctr(['images', 'rm', '--sync', ref]);
    assert.equal(await listedDigest(c, ref), undefined);
    // Removal garbage-collects the blobs, so the pull below must fetch every one.
    const content = (await c.ctr(['content', 'ls', '-q'])).stdout;
    for (const d of image.blobs.keys()) assert.ok(!content.includes(d), `blob ${d} survived the image's removal`);
    await c.ctr(['images', 'pull', '--plain-http', ...ctrUserFlag(creds), '--snapshotter', 'native', ref]);
    assert.equal(await listedDigest(c, ref), image.manifestDigest);
    for (const [digest, data] of image.blobs) {
      const fetched = (await c.ctr(['content', 'get', digest])).stdoutBytes;
      assert.ok(fetched.equals(data), `pulled blob ${digest} differs`);
    }
    const check = (await c.ctr(['images', 'check', '--quiet'])).stdout;
    assert.match(check, new RegExp(ref.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
  });
});
