// docker (Debian's docker.io, with a private dockerd): build a 3-layer image offline from
// scratch, push it, push it again to a second repository, then delete it locally and
// pull it back. The client is logged in (`docker login`, its own DOCKER_CONFIG) as a
// developer of project e2e; dockerd then fetches tokens from Berth by itself.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { expectFiles, makeLayers, mergeLayers, writeFiles, type LayerFiles } from './support/content.js';
import { dumpLogsOnFailure } from './support/diagnostics.js';
import { startDockerd, type Dockerd } from './support/dockerd.js';
import { startRegistry, type TargetRegistry } from './support/registry.js';
import { getManifest, MEDIA } from './support/registryApi.js';
import { makeScratchDir, removeScratchDir } from './support/scratch.js';
import { requireTool } from './support/tools.js';

/** `docker push` ends with "<tag>: digest: sha256:… size: N". */
function pushedDigest(output: string): string {
  const m = /: digest: (sha256:[0-9a-f]{64}) size: \d+/.exec(output);
  if (!m) throw new Error(`no digest in docker push output:\n${output}`);
  return m[1];
}

describe('e2e: docker', () => {
  let reg: TargetRegistry | undefined;
  let dir: string | undefined;
  let dockerd: Dockerd | undefined;
  let layers: LayerFiles[];
  let repo: string;
  let digest: string;

  before(async () => {
    requireTool('docker');
    requireTool('dockerd');
    dir = await makeScratchDir('docker');
    reg = await startRegistry();
    dockerd = await startDockerd(path.join(dir, 'dockerd'), reg.host);
    repo = `${reg.host}/e2e/docker-img`;
    const creds = await reg.pusher('e2e', 'e2e-docker');
    if (creds) assert.match((await dockerd.login(reg.host, creds)).stdout, /Login Succeeded/);
  });

  afterEach(function () {
    dumpLogsOnFailure(this, [
      ['registry', () => reg?.output() ?? ''],
      ['dockerd', () => dockerd?.daemon.log() ?? ''],
    ]);
  });

  after(async () => {
    await dockerd?.stop();
    await reg?.dispose();
    await removeScratchDir(dir);
  });

  it('builds a 3-layer image from scratch without network', async () => {
    const context = path.join(dir!, 'context');
    layers = makeLayers('docker');
    await writeFiles(context, mergeLayers(layers));
    await writeFile(
      path.join(context, 'Dockerfile'),
      // One COPY per layer; CMD only so that `docker create` accepts the image.
      ['FROM scratch', ...layers.map((_, i) => `COPY docker/layer${i + 1} /docker/layer${i + 1}`), 'CMD ["/nothing"]', ''].join('\n'),
    );
    await dockerd!.docker(['build', '--network=none', '-t', `${repo}:v1`, context]);
    const rootfs = (await dockerd!.docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', `${repo}:v1`])).stdout;
    assert.equal((JSON.parse(rootfs) as string[]).length, 3);
  });

  it('pushes it; docker and the registry report the same manifest digest', async () => {
    digest = pushedDigest((await dockerd!.docker(['push', `${repo}:v1`])).stdout);
    const served = await getManifest(reg!, 'e2e/docker-img', 'v1');
    assert.equal(served.digest, digest);
    assert.equal(served.mediaType, MEDIA.dockerManifest);
    assert.equal(served.json.layers?.length, 3);
  });

  it('pushes the same image to a second repository (blobs may be mounted) with the same digest', async () => {
    const other = `${reg!.host}/e2e/docker-img-copy:v1`;
    await dockerd!.docker(['tag', `${repo}:v1`, other]);
    assert.equal(pushedDigest((await dockerd!.docker(['push', other])).stdout), digest);
    assert.equal((await getManifest(reg!, 'e2e/docker-img-copy', 'v1')).digest, digest);
    await dockerd!.docker(['rmi', other]);
  });

  it('pulls it back after deleting it locally, with the same digest and files', async () => {
    const d = dockerd!;
    await d.docker(['rmi', `${repo}:v1`]);
    const gone = await d.docker(['image', 'inspect', `${repo}:v1`]).then(
      () => false,
      () => true,
    );
    assert.ok(gone, 'image still present locally, so the pull would prove nothing');
    const pull = (await d.docker(['pull', `${repo}:v1`])).stdout;
    assert.match(pull, new RegExp(`Digest: ${digest}`));
    const repoDigests = JSON.parse((await d.docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', `${repo}:v1`])).stdout) as string[];
    assert.deepEqual(repoDigests, [`${repo}@${digest}`]);

    await d.docker(['create', '--name', 'berth-e2e-pulled', `${repo}:v1`]);
    const out = path.join(dir!, 'pulled');
    await mkdir(out);
    await d.docker(['cp', 'berth-e2e-pulled:/docker', out]);
    await d.docker(['rm', 'berth-e2e-pulled']);
    await expectFiles(out, mergeLayers(layers));
  });
});
