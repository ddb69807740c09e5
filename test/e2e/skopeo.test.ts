// skopeo: push an OCI layout whose every digest we computed ourselves, read it back through
// the API and `skopeo inspect`, copy it back to a layout and across repositories. Every
// call authenticates with --creds/--src-creds/--dest-creds as a developer of project e2e.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { credsFlag, type Credentials } from './support/auth.js';
import { makeLayers } from './support/content.js';
import { containersEnv, skopeoRunner } from './support/containersTools.js';
import { dumpLogsOnFailure } from './support/diagnostics.js';
import { buildOciImage, writeOciLayout, type OciImage } from './support/ociImage.js';
import { startRegistry, type TargetRegistry } from './support/registry.js';
import { getManifest, headManifestDigest, listTags, sha256 } from './support/registryApi.js';
import { makeScratchDir, removeScratchDir } from './support/scratch.js';
import { requireTool } from './support/tools.js';

describe('e2e: skopeo', () => {
  let reg: TargetRegistry | undefined;
  let dir: string | undefined;
  let skopeo: ReturnType<typeof skopeoRunner>;
  let image: OciImage;
  let ref: string;
  let creds: Credentials | undefined;

  before(async () => {
    const bin = requireTool('skopeo');
    dir = await makeScratchDir('skopeo');
    skopeo = skopeoRunner(bin, await containersEnv(path.join(dir, 'containers')));
    reg = await startRegistry();
    creds = await reg.pusher('e2e', 'e2e-skopeo');
    ref = `${reg.host}/e2e/skopeo-img`;
    image = buildOciImage(makeLayers('skopeo'));
    await writeOciLayout(path.join(dir, 'src'), image, 'v1');
  });

  afterEach(function () {
    dumpLogsOnFailure(this, [['registry', () => reg?.output() ?? '']]);
  });

  after(async () => {
    await reg?.dispose();
    await removeScratchDir(dir);
  });

  it('pushes a 3-layer OCI layout; client and registry agree on the manifest digest', async () => {
    const digestFile = path.join(dir!, 'push.digest');
    await skopeo([
      'copy',
      '--dest-tls-verify=false',
      ...credsFlag('--dest-creds', creds),
      '--digestfile',
      digestFile,
      `oci:${dir}/src:v1`,
      `docker://${ref}:v1`,
    ]);
    const pushed = (await readFile(digestFile, 'utf8')).trim();
    // Copying OCI to a registry needs no conversion, so the manifest must arrive byte-exact.
    assert.equal(pushed, image.manifestDigest);
    const served = await getManifest(reg!, 'e2e/skopeo-img', 'v1');
    assert.equal(served.digest, image.manifestDigest);
    assert.ok(served.body.equals(image.manifest), 'served manifest bytes differ from the pushed ones');
    assert.equal(await headManifestDigest(reg!, 'e2e/skopeo-img', 'v1'), image.manifestDigest);
    const byDigest = await getManifest(reg!, 'e2e/skopeo-img', image.manifestDigest);
    assert.equal(byDigest.digest, image.manifestDigest);
  });

  it('skopeo inspect reports the pushed digest and layers', async () => {
    const inspect = (flags: string[]) => skopeo(['inspect', ...flags, '--tls-verify=false', ...credsFlag('--creds', creds), `docker://${ref}:v1`]);
    const info = JSON.parse((await inspect([])).stdout) as {
      Digest: string;
      Layers: string[];
      Architecture: string;
    };
    assert.equal(info.Digest, image.manifestDigest);
    assert.deepEqual(info.Layers, image.layerDigests);
    assert.equal(info.Architecture, 'amd64');
    const raw = (await inspect(['--raw'])).stdout;
    assert.equal(sha256(raw), image.manifestDigest);
    const config = (await inspect(['--config', '--raw'])).stdout;
    assert.equal(sha256(config), image.configDigest);
  });

  it('copies the image back into an OCI layout with identical blobs', async () => {
    const back = path.join(dir!, 'back');
    await skopeo(['copy', '--src-tls-verify=false', ...credsFlag('--src-creds', creds), `docker://${ref}:v1`, `oci:${back}:v1`]);
    const index = JSON.parse(await readFile(path.join(back, 'index.json'), 'utf8')) as {
      manifests: Array<{ digest: string }>;
    };
    assert.equal(index.manifests[0].digest, image.manifestDigest);
    for (const [digest, data] of image.blobs) {
      const pulled = await readFile(path.join(back, 'blobs/sha256', digest.slice('sha256:'.length)));
      assert.ok(pulled.equals(data), `blob ${digest} differs after the round trip`);
    }
  });

  it('copies between repositories of the registry and lists the tags', async () => {
    const digestFile = path.join(dir!, 'copy.digest');
    await skopeo([
      'copy',
      '--src-tls-verify=false',
      '--dest-tls-verify=false',
      ...credsFlag('--src-creds', creds),
      ...credsFlag('--dest-creds', creds),
      '--digestfile',
      digestFile,
      `docker://${ref}:v1`,
      `docker://${reg!.host}/e2e/skopeo-copy:v2`,
    ]);
    assert.equal((await readFile(digestFile, 'utf8')).trim(), image.manifestDigest);
    assert.equal((await getManifest(reg!, 'e2e/skopeo-copy', 'v2')).digest, image.manifestDigest);
    const tags = JSON.parse(
      (await skopeo(['list-tags', '--tls-verify=false', ...credsFlag('--creds', creds), `docker://${reg!.host}/e2e/skopeo-copy`])).stdout,
    ) as { Tags: string[] };
    assert.deepEqual(tags.Tags, ['v2']);
    assert.deepEqual(await listTags(reg!, 'e2e/skopeo-img'), ['v1']);
  });
});
