// umoci: build a multi-layer image (including a deletion, i.e. a whiteout) as an OCI
// layout, push it with skopeo, pull it into a new layout and unpack it with umoci. skopeo
// authenticates with --dest-creds/--src-creds as a developer of project e2e.
import assert from 'node:assert/strict';
import { access, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { credsFlag, type Credentials } from './support/auth.js';
import { makeLayers, mergeLayers, expectFiles, writeFiles, type LayerFiles } from './support/content.js';
import { containersEnv, skopeoRunner } from './support/containersTools.js';
import { dumpLogsOnFailure } from './support/diagnostics.js';
import { startRegistry, type TargetRegistry } from './support/registry.js';
import { getManifest } from './support/registryApi.js';
import { run } from './support/run.js';
import { makeScratchDir, removeScratchDir } from './support/scratch.js';
import { requireTool } from './support/tools.js';

interface IndexJson {
  manifests: Array<{ digest: string; annotations?: Record<string, string> }>;
}

async function layoutDigest(layout: string, tag: string): Promise<string> {
  const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as IndexJson;
  const entry = index.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (!entry) throw new Error(`${layout} has no tag ${tag}`);
  return entry.digest;
}

describe('e2e: umoci', () => {
  let reg: TargetRegistry | undefined;
  let dir: string | undefined;
  let umoci: (args: string[]) => ReturnType<typeof run>;
  let skopeo: ReturnType<typeof skopeoRunner>;
  let layers: LayerFiles[];
  /** layer 1's payload, deleted again in layer 3 */
  let deleted: string;
  let builtDigest: string;
  let creds: Credentials | undefined;

  before(async () => {
    const umociBin = requireTool('umoci');
    const skopeoBin = requireTool('skopeo');
    dir = await makeScratchDir('umoci');
    umoci = (args) => run(umociBin, args);
    skopeo = skopeoRunner(skopeoBin, await containersEnv(path.join(dir, 'containers')));
    reg = await startRegistry();
    creds = await reg.pusher('e2e', 'e2e-umoci');
  });

  afterEach(function () {
    dumpLogsOnFailure(this, [['registry', () => reg?.output() ?? '']]);
  });

  after(async () => {
    await reg?.dispose();
    await removeScratchDir(dir);
  });

  it('builds a 3-layer image with umoci', async () => {
    const layout = path.join(dir!, 'layout');
    const bundle = path.join(dir!, 'bundle');
    layers = makeLayers('umoci');
    deleted = [...layers[0].keys()].find((p) => p.endsWith('payload.bin'))!;
    await umoci(['init', '--layout', layout]);
    await umoci(['new', '--image', `${layout}:base`]);
    await umoci(['unpack', '--image', `${layout}:base`, bundle]);
    // Each repack records the rootfs changes since the last one as a new layer.
    for (const [i, files] of layers.entries()) {
      await writeFiles(path.join(bundle, 'rootfs'), files);
      if (i === 2) await rm(path.join(bundle, 'rootfs', deleted));
      await umoci(['repack', '--refresh-bundle', '--image', `${layout}:v${i + 1}`, bundle]);
    }
    builtDigest = await layoutDigest(layout, 'v3');
    const manifest = JSON.parse(await readFile(path.join(layout, 'blobs/sha256', builtDigest.slice('sha256:'.length)), 'utf8')) as { layers: unknown[] };
    assert.equal(manifest.layers.length, 3);
  });

  it('pushes the layout; skopeo and the registry report umoci’s manifest digest', async () => {
    const digestFile = path.join(dir!, 'push.digest');
    await skopeo([
      'copy',
      '--dest-tls-verify=false',
      ...credsFlag('--dest-creds', creds),
      '--digestfile',
      digestFile,
      `oci:${dir}/layout:v3`,
      `docker://${reg!.host}/e2e/umoci-img:v3`,
    ]);
    assert.equal((await readFile(digestFile, 'utf8')).trim(), builtDigest);
    assert.equal((await getManifest(reg!, 'e2e/umoci-img', 'v3')).digest, builtDigest);
  });

  it('pulls into a new layout that umoci unpacks to the same files', async () => {
    const pulled = path.join(dir!, 'pulled');
    await skopeo(['copy', '--src-tls-verify=false', ...credsFlag('--src-creds', creds), `docker://${reg!.host}/e2e/umoci-img:v3`, `oci:${pulled}:back`]);
    assert.equal(await layoutDigest(pulled, 'back'), builtDigest);
    const bundle = path.join(dir!, 'bundle-pulled');
    await umoci(['unpack', '--image', `${pulled}:back`, bundle]);
    const expected = mergeLayers(layers);
    expected.delete(deleted);
    await expectFiles(path.join(bundle, 'rootfs'), expected);
    await assert.rejects(access(path.join(bundle, 'rootfs', deleted)), 'the whiteout in layer 3 was not applied');
  });
});
