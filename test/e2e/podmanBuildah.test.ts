// buildah and podman, each with its own vfs storage so that every pull really fetches:
// buildah builds from scratch (from/copy/commit per layer) and pushes, podman pulls and
// mounts the image; then podman builds and pushes, and buildah pulls that back. Both log
// in first (`buildah login` / `podman login`, each into its own auth file) as a developer
// of project e2e.
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expectFiles, makeLayers, mergeLayers, writeFiles, type LayerFiles } from './support/content.js';
import { containersEnv, containersLogin, podmanGlobals, storageToolRunner, type ContainersEnv } from './support/containersTools.js';
import { dumpLogsOnFailure } from './support/diagnostics.js';
import { startRegistry, type TargetRegistry } from './support/registry.js';
import { getManifest } from './support/registryApi.js';
import { makeScratchDir, removeScratchDir } from './support/scratch.js';
import { requireTool } from './support/tools.js';

describe('e2e: buildah and podman', () => {
  let reg: TargetRegistry | undefined;
  let dir: string | undefined;
  let buildahEnv: ContainersEnv;
  let podmanEnv: ContainersEnv;
  let buildah: ReturnType<typeof storageToolRunner>;
  let podman: ReturnType<typeof storageToolRunner>;
  let buildahLayers: LayerFiles[];
  let buildahDigest: string;
  let podmanLayers: LayerFiles[];
  let podmanDigest: string;

  before(async () => {
    const buildahBin = requireTool('buildah');
    const podmanBin = requireTool('podman');
    dir = await makeScratchDir('podman');
    buildahEnv = await containersEnv(path.join(dir, 'buildah'));
    buildah = storageToolRunner(buildahBin, buildahEnv);
    podmanEnv = await containersEnv(path.join(dir, 'podman'));
    podman = storageToolRunner(podmanBin, podmanEnv, podmanGlobals(path.join(dir, 'podman')));
    reg = await startRegistry();
    const creds = await reg.pusher('e2e', 'e2e-podman');
    if (creds) {
      assert.match((await containersLogin(buildah, buildahEnv, reg.host, creds)).stdout, /Login Succeeded/);
      assert.match((await containersLogin(podman, podmanEnv, reg.host, creds)).stdout, /Login Succeeded/);
    }
  });

  afterEach(function () {
    dumpLogsOnFailure(this, [['registry', () => reg?.output() ?? '']]);
  });

  after(async () => {
    await reg?.dispose();
    await removeScratchDir(dir);
  });

  const digestFile = (label: string) => path.join(dir!, `${label}.digest`);
  const policy = (env: ContainersEnv) => ['--signature-policy', env.policy];

  it('buildah builds a 3-layer image from scratch', async () => {
    const src = path.join(dir!, 'buildah-src');
    buildahLayers = makeLayers('buildah');
    await writeFiles(src, mergeLayers(buildahLayers));
    // A commit turns everything since `from` into one layer, so each layer needs its own
    // from/copy/commit round on top of the previous image.
    let base = 'scratch';
    for (let i = 1; i <= buildahLayers.length; i++) {
      const container = (await buildah(['from', '--pull=never', ...policy(buildahEnv), base])).stdout.trim();
      await buildah(['copy', container, path.join(src, `buildah/layer${i}`), `/buildah/layer${i}`]);
      base = `localhost/berth-e2e-step${i}`;
      await buildah(['commit', '--rm', ...policy(buildahEnv), container, base]);
    }
    const info = JSON.parse((await buildah(['inspect', '--type', 'image', base])).stdout) as {
      OCIv1: { rootfs: { diff_ids: string[] } };
    };
    assert.equal(info.OCIv1.rootfs.diff_ids.length, 3);
  });

  it('buildah pushes it; the digest file and the registry agree', async () => {
    const file = digestFile('buildah-push');
    await buildah([
      'push',
      '--tls-verify=false',
      ...policy(buildahEnv),
      '--digestfile',
      file,
      'localhost/berth-e2e-step3',
      `docker://${reg!.host}/e2e/buildah-img:v1`,
    ]);
    buildahDigest = (await readFile(file, 'utf8')).trim();
    const served = await getManifest(reg!, 'e2e/buildah-img', 'v1');
    assert.equal(served.digest, buildahDigest);
    assert.equal(served.json.layers?.length, 3);
  });

  it('podman pulls it into its own store with the same digest and files', async () => {
    const ref = `${reg!.host}/e2e/buildah-img:v1`;
    await podman(['pull', '--tls-verify=false', ...policy(podmanEnv), ref]);
    assert.equal((await podman(['image', 'inspect', '--format', '{{.Digest}}', ref])).stdout.trim(), buildahDigest);
    const mountpoint = (await podman(['image', 'mount', ref])).stdout.trim();
    try {
      await expectFiles(mountpoint, mergeLayers(buildahLayers));
    } finally {
      await podman(['image', 'unmount', ref]);
    }
  });

  it('podman builds from a Containerfile and pushes; buildah pulls it back with the same digest', async () => {
    const context = path.join(dir!, 'podman-context');
    podmanLayers = makeLayers('podman');
    await writeFiles(context, mergeLayers(podmanLayers));
    await writeFile(
      path.join(context, 'Containerfile'),
      ['FROM scratch', ...podmanLayers.map((_, i) => `COPY podman/layer${i + 1} /podman/layer${i + 1}`), ''].join('\n'),
    );
    const ref = `${reg!.host}/e2e/podman-img:v1`;
    await podman(['build', '--network=none', '--pull=never', ...policy(podmanEnv), '-t', ref, context]);
    const file = digestFile('podman-push');
    await podman(['push', '--tls-verify=false', ...policy(podmanEnv), '--digestfile', file, ref]);
    podmanDigest = (await readFile(file, 'utf8')).trim();
    const served = await getManifest(reg!, 'e2e/podman-img', 'v1');
    assert.equal(served.digest, podmanDigest);
    assert.equal(served.json.layers?.length, 3);

    await buildah(['pull', '--tls-verify=false', ...policy(buildahEnv), ref]);
    const pulled = JSON.parse((await buildah(['inspect', '--type', 'image', ref])).stdout) as { FromImageDigest: string };
    assert.equal(pulled.FromImageDigest, podmanDigest);
    const container = (await buildah(['from', '--pull=never', ...policy(buildahEnv), ref])).stdout.trim();
    try {
      const mountpoint = (await buildah(['mount', container])).stdout.trim();
      await expectFiles(mountpoint, mergeLayers(podmanLayers));
    } finally {
      await buildah(['rm', container]);
    }
  });
});
