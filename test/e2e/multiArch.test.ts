// A multi-arch image index: buildah assembles an index of two images (amd64, arm64) and
// pushes it with --all; it must come back byte-exact (same index digest), and a
// per-platform pull must resolve the right child manifest. buildah logs in (`buildah
// login`); skopeo passes --creds/--src-creds; both as a developer of project e2e.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { makeLayers, mergeLayers, writeFiles } from './support/content.js';
import { credsFlag, type Credentials } from './support/auth.js';
import { containersEnv, containersLogin, skopeoRunner, storageToolRunner, type ContainersEnv } from './support/containersTools.js';
import { dumpLogsOnFailure } from './support/diagnostics.js';
import { startRegistry, type TargetRegistry } from './support/registry.js';
import { getManifest, MEDIA, sha256 } from './support/registryApi.js';
import { makeScratchDir, removeScratchDir } from './support/scratch.js';
import { requireTool } from './support/tools.js';

const ARCHES = ['amd64', 'arm64'] as const;

describe('e2e: multi-arch index (buildah manifest, skopeo)', () => {
  let reg: TargetRegistry | undefined;
  let dir: string | undefined;
  let cenv: ContainersEnv;
  let buildah: ReturnType<typeof storageToolRunner>;
  let skopeo: ReturnType<typeof skopeoRunner>;
  let indexDigest: string;
  let ref: string;
  let creds: Credentials | undefined;

  before(async () => {
    const buildahBin = requireTool('buildah');
    const skopeoBin = requireTool('skopeo');
    dir = await makeScratchDir('multiarch');
    cenv = await containersEnv(path.join(dir, 'containers'));
    buildah = storageToolRunner(buildahBin, cenv);
    // skopeo gets an auth file of its own, so only its --creds flags authenticate it, not
    // buildah's login.
    skopeo = skopeoRunner(skopeoBin, await containersEnv(path.join(dir, 'skopeo')));
    reg = await startRegistry();
    ref = `${reg.host}/e2e/multi-img`;
    creds = await reg.pusher('e2e', 'e2e-multiarch');
    if (creds) assert.match((await containersLogin(buildah, cenv, reg.host, creds)).stdout, /Login Succeeded/);
  });

  afterEach(function () {
    dumpLogsOnFailure(this, [['registry', () => reg?.output() ?? '']]);
  });

  after(async () => {
    await reg?.dispose();
    await removeScratchDir(dir);
  });

  const policy = () => ['--signature-policy', cenv.policy];

  it('buildah pushes an index of two platform images with --all', async () => {
    const list = 'localhost/berth-e2e-list';
    await buildah(['manifest', 'create', list]);
    for (const arch of ARCHES) {
      const src = path.join(dir!, `src-${arch}`);
      // Content of its own per platform, so the children share no layer.
      await writeFiles(src, mergeLayers(makeLayers(`multi-${arch}`, [512, 64 * 1024])));
      const container = (await buildah(['from', '--pull=never', ...policy(), 'scratch'])).stdout.trim();
      await buildah(['copy', container, path.join(src, `multi-${arch}`), `/multi-${arch}`]);
      await buildah(['config', '--arch', arch, '--os', 'linux', container]);
      const image = `localhost/berth-e2e-${arch}`;
      await buildah(['commit', '--rm', ...policy(), container, image]);
      await buildah(['manifest', 'add', list, `containers-storage:${image}`]);
    }
    const digestFile = path.join(dir!, 'index.digest');
    await buildah(['manifest', 'push', '--all', '--tls-verify=false', ...policy(), '--digestfile', digestFile, list, `docker://${ref}:v1`]);
    indexDigest = (await readFile(digestFile, 'utf8')).trim();

    const served = await getManifest(reg!, 'e2e/multi-img', 'v1');
    assert.equal(served.digest, indexDigest);
    assert.ok(([MEDIA.ociIndex, MEDIA.dockerList] as string[]).includes(served.mediaType), served.mediaType);
    const children = served.json.manifests ?? [];
    assert.deepEqual(children.map((m) => m.platform?.architecture).sort(), [...ARCHES]);
    // --all pushed the children too: each must be served by its digest.
    for (const child of children) {
      assert.equal((await getManifest(reg!, 'e2e/multi-img', child.digest)).digest, child.digest);
    }
  });

  it('comes back byte-exact: skopeo --raw and a copy --all into an OCI layout', async () => {
    const raw = (await skopeo(['inspect', '--raw', '--tls-verify=false', ...credsFlag('--creds', creds), `docker://${ref}:v1`])).stdoutBytes;
    assert.equal(sha256(raw), indexDigest);
    const back = path.join(dir!, 'back');
    await skopeo(['copy', '--all', '--preserve-digests', '--src-tls-verify=false', ...credsFlag('--src-creds', creds), `docker://${ref}:v1`, `oci:${back}:v1`]);
    const index = JSON.parse(await readFile(path.join(back, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    assert.equal(index.manifests[0].digest, indexDigest);
    const stored = await readFile(path.join(back, 'blobs/sha256', indexDigest.slice('sha256:'.length)));
    assert.ok(stored.equals(raw), 'the index copied back differs from the one served');
  });

  it('a per-platform pull resolves the arm64 child', async () => {
    const served = await getManifest(reg!, 'e2e/multi-img', 'v1');
    const arm = served.json.manifests!.find((m) => m.platform?.architecture === 'arm64')!;
    const out = path.join(dir!, 'arm64');
    await skopeo(['--override-arch', 'arm64', 'copy', '--src-tls-verify=false', ...credsFlag('--src-creds', creds), `docker://${ref}:v1`, `oci:${out}:v1`]);
    const index = JSON.parse(await readFile(path.join(out, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    assert.equal(index.manifests[0].digest, arm.digest);
  });
});
