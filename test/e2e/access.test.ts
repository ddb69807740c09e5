// Access control with real clients against one closed Berth (always Berth: Distribution has
// no auth to test). A private project `team` with a developer (`dev`), a guest (`guest1`)
// and a user who is no member (`outsider`); a public project `pub`. Each client finds the
// token service through Berth's 401 challenge and asks for its tokens by itself.
//
//   dev       docker login + build + push + pull; skopeo --dest-creds push
//   guest1    docker pull works, docker push refused; podman login + pull works, push refused
//   outsider  skopeo --src-creds pull refused, with the same answer for a repository that
//             exists and one that does not
//   anonymous skopeo inspect/copy from `pub` works; pushing there or reading `team` does not
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { addMember, admin, createProject, createUser } from '../helpers/api.js';
import { basicAuth, credsFlag, REFUSED, type Credentials } from './support/auth.js';
import { expectFiles, makeLayers, mergeLayers, writeFiles, type LayerFiles } from './support/content.js';
import {
  containersEnv,
  containersLogin,
  podmanGlobals,
  skopeoRunner,
  storageToolRunner,
  type ClientRunner,
  type ContainersEnv,
} from './support/containersTools.js';
import { dumpLogsOnFailure } from './support/diagnostics.js';
import { startDockerd, type Dockerd } from './support/dockerd.js';
import { buildOciImage, writeOciLayout, type OciImage } from './support/ociImage.js';
import { startRegistry, type TargetRegistry } from './support/registry.js';
import { getManifest, listTags, MEDIA } from './support/registryApi.js';
import type { RunResult } from './support/run.js';
import { makeScratchDir, removeScratchDir } from './support/scratch.js';
import { requireTool } from './support/tools.js';

const PRIVATE = 'team';
const PUBLIC = 'pub';
const dev: Credentials = { username: 'dev', password: 'Dev-Access-Pass-1' };
const guest: Credentials = { username: 'guest1', password: 'Guest-Access-Pass-1' };
const outsider: Credentials = { username: 'outsider', password: 'Outsider-Access-Pass-1' };

/** `docker push` ends with "<tag>: digest: sha256:… size: N". */
function pushedDigest(output: string): string {
  const m = /: digest: (sha256:[0-9a-f]{64}) size: \d+/.exec(output);
  if (!m) throw new Error(`no digest in docker push output:\n${output}`);
  return m[1];
}

const said = (r: RunResult) => `${r.stdout}\n${r.stderr}`;

/** A refusal: non-zero exit and the client says denied/unauthorized. */
function assertRefused(r: RunResult, what: string): void {
  assert.notEqual(r.code, 0, `${what} succeeded, but must be refused:\n${said(r)}`);
  assert.match(said(r), REFUSED, `${what} failed, but not as a refusal:\n${said(r)}`);
}

/** skopeo's final error (`level=fatal msg="…"`), without the timestamp and debug chatter. */
function fatalMessage(stderr: string): string {
  const fatal = stderr.split('\n').filter((l) => /level=fatal/.test(l));
  return (fatal.length ? fatal.join('\n') : stderr).replace(/time="[^"]*"\s*/g, '').trim();
}

interface Exchange {
  status: number;
  challenge: string;
  body: string;
}

async function exchange(url: string, init: RequestInit = {}): Promise<Exchange> {
  const res = await fetch(url, init);
  return { status: res.status, challenge: res.headers.get('www-authenticate') ?? '', body: await res.text() };
}

/** `key="value"` pairs of a Bearer challenge. */
function challengeParams(header: string): Record<string, string> {
  assert.match(header, /^Bearer /i, `not a Bearer challenge: ${header}`);
  return Object.fromEntries([...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
}

interface TokenAccess {
  type: string;
  name: string;
  actions: string[];
}

describe('e2e: access control (users, roles, public and private projects)', function () {
  this.timeout(300_000);

  let reg: TargetRegistry | undefined;
  let dir: string | undefined;
  let dockerd: Dockerd | undefined;
  let devConfig: string;
  let guestConfig: string;
  let skopeo: ClientRunner;
  let podmanEnv: ContainersEnv;
  let podman: ClientRunner;
  let podmanPolicy: string[];
  let layers: LayerFiles[];
  let appDigest: string;
  let ociImage: OciImage;
  let layout: string;

  const app = () => `${reg!.host}/${PRIVATE}/app`;

  before(async () => {
    requireTool('docker');
    requireTool('dockerd');
    const skopeoBin = requireTool('skopeo');
    const podmanBin = requireTool('podman');
    dir = await makeScratchDir('access');
    reg = await startRegistry('berth');
    await createProject(reg.url, PRIVATE, { public: false });
    await createProject(reg.url, PUBLIC, { public: true });
    for (const u of [dev, guest, outsider]) await createUser(reg.url, u.username, u.password);
    await addMember(reg.url, PRIVATE, dev.username, 2);
    await addMember(reg.url, PRIVATE, guest.username, 3);

    dockerd = await startDockerd(path.join(dir, 'dockerd'), reg.host);
    devConfig = await dockerd.newClientConfig('dev');
    guestConfig = await dockerd.newClientConfig('guest');
    skopeo = skopeoRunner(skopeoBin, await containersEnv(path.join(dir, 'skopeo')));
    podmanEnv = await containersEnv(path.join(dir, 'podman'));
    podman = storageToolRunner(podmanBin, podmanEnv, podmanGlobals(path.join(dir, 'podman')));
    podmanPolicy = ['--signature-policy', podmanEnv.policy];

    ociImage = buildOciImage(makeLayers('access-oci', [512, 32 * 1024]));
    layout = path.join(dir, 'layout');
    await writeOciLayout(layout, ociImage, 'v1');
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

  it('challenges anonymous /v2 requests with the token realm and the scope they need', async () => {
    const pull = await exchange(`${reg!.url}/v2/${PRIVATE}/app/manifests/v1`);
    assert.equal(pull.status, 401, `anonymous GET manifest: ${JSON.stringify(pull)}`);
    const params = challengeParams(pull.challenge);
    assert.equal(params.realm, `${reg!.url}/service/token`, pull.challenge);
    assert.equal(params.service, 'berth', pull.challenge);
    assert.equal(params.scope, `repository:${PRIVATE}/app:pull`, pull.challenge);
    const push = await exchange(`${reg!.url}/v2/${PRIVATE}/app/blobs/uploads/`, { method: 'POST' });
    assert.equal(push.status, 401, `anonymous POST upload: ${JSON.stringify(push)}`);
    assert.equal(challengeParams(push.challenge).scope, `repository:${PRIVATE}/app:pull,push`, push.challenge);
  });

  it('the token service grants each identity what its role allows', async () => {
    const grant = async (who: Credentials | undefined, repo: string): Promise<string[]> => {
      const url = `${reg!.url}/service/token?service=berth&scope=${encodeURIComponent(`repository:${repo}:pull,push`)}`;
      const res = await fetch(url, { headers: who ? { Authorization: basicAuth(who) } : {} });
      const text = await res.text();
      assert.equal(res.status, 200, `GET ${url} as ${who?.username ?? 'anonymous'}: ${res.status} ${text}`);
      const body = JSON.parse(text) as { token: string; access_token: string; expires_in: number; issued_at: string };
      assert.ok(body.token && body.access_token && body.expires_in >= 60 && body.issued_at, `token response: ${text}`);
      const claims = JSON.parse(Buffer.from(body.token.split('.')[1], 'base64url').toString('utf8')) as { access: TokenAccess[] };
      return claims.access
        .filter((a) => a.type === 'repository' && a.name === repo)
        .flatMap((a) => a.actions)
        .sort();
    };
    assert.deepEqual(await grant(dev, `${PRIVATE}/app`), ['pull', 'push']);
    assert.deepEqual(await grant(guest, `${PRIVATE}/app`), ['pull']);
    assert.deepEqual(await grant(outsider, `${PRIVATE}/app`), []);
    assert.deepEqual(await grant(undefined, `${PRIVATE}/app`), []);
    assert.deepEqual(await grant(undefined, `${PUBLIC}/anything`), ['pull']);
    assert.deepEqual(await grant(dev, `${PUBLIC}/anything`), ['pull']);
  });

  it('the developer logs in with docker, pushes a 2-layer image and pulls it back', async () => {
    const d = dockerd!;
    assert.match((await d.login(reg!.host, dev, devConfig)).stdout, /Login Succeeded/);
    const context = path.join(dir!, 'context');
    layers = makeLayers('access', [1_024, 64 * 1024]);
    await writeFiles(context, mergeLayers(layers));
    await writeFile(
      path.join(context, 'Dockerfile'),
      ['FROM scratch', ...layers.map((_, i) => `COPY access/layer${i + 1} /access/layer${i + 1}`), 'CMD ["/nothing"]', ''].join('\n'),
    );
    await d.docker(['build', '--network=none', '-t', `${app()}:v1`, context]);
    appDigest = pushedDigest((await d.docker(['push', `${app()}:v1`], { config: devConfig })).stdout);
    const served = await getManifest(reg!, `${PRIVATE}/app`, 'v1');
    assert.equal(served.digest, appDigest);
    assert.equal(served.mediaType, MEDIA.dockerManifest);

    await d.docker(['rmi', `${app()}:v1`]);
    const pull = (await d.docker(['pull', `${app()}:v1`], { config: devConfig })).stdout;
    assert.match(pull, new RegExp(`Digest: ${appDigest}`));
    await d.docker(['create', '--name', 'berth-e2e-access', `${app()}:v1`]);
    const out = path.join(dir!, 'pulled-dev');
    await mkdir(out);
    await d.docker(['cp', 'berth-e2e-access:/access', out]);
    await d.docker(['rm', 'berth-e2e-access']);
    await expectFiles(out, mergeLayers(layers));
  });

  it('the guest pulls with docker, but its pushes are refused', async () => {
    const d = dockerd!;
    assert.match((await d.login(reg!.host, guest, guestConfig)).stdout, /Login Succeeded/);
    await d.docker(['rmi', `${app()}:v1`]);
    const pull = (await d.docker(['pull', `${app()}:v1`], { config: guestConfig })).stdout;
    assert.match(pull, new RegExp(`Digest: ${appDigest}`));

    // A new tag in the repository: every blob is already there, so only the manifest PUT
    // is left to refuse.
    await d.docker(['tag', `${app()}:v1`, `${app()}:by-guest`]);
    const asGuest = { config: guestConfig, allowFailure: true };
    assertRefused(await d.docker(['push', `${app()}:by-guest`], asGuest), 'guest docker push (new tag)');
    // A new repository: the upload (or mount) itself must be refused.
    const newRepo = `${reg!.host}/${PRIVATE}/guest-new:v1`;
    await d.docker(['tag', `${app()}:v1`, newRepo]);
    assertRefused(await d.docker(['push', newRepo], asGuest), 'guest docker push (new repository)');

    assert.deepEqual(await listTags(reg!, `${PRIVATE}/app`), ['v1']);
    const missing = await exchange(`${reg!.url}/v2/${PRIVATE}/guest-new/tags/list`, { headers: { Authorization: basicAuth(admin) } });
    assert.equal(missing.status, 404, `${PRIVATE}/guest-new exists after a refused push: ${JSON.stringify(missing)}`);
  });

  it('an outsider cannot pull from the private project, nor learn which repositories exist', async () => {
    const existing = `${PRIVATE}/app`;
    const absent = `${PRIVATE}/no-such-repo`;
    const dest = `oci:${path.join(dir!, 'outsider')}:v1`;
    const messages: string[] = [];
    for (const name of [existing, absent]) {
      const r = await skopeo(['copy', '--src-tls-verify=false', ...credsFlag('--src-creds', outsider), `docker://${reg!.host}/${name}:v1`, dest], {
        allowFailure: true,
      });
      assertRefused(r, `outsider skopeo copy of ${name}`);
      messages.push(fatalMessage(r.stderr).replaceAll(name, '<repo>'));
    }
    assert.equal(messages[0], messages[1], 'skopeo tells an existing private repository from a missing one');
    assert.doesNotMatch(messages[0], /manifest unknown|name unknown|not found/i, messages[0]);

    // The same at the HTTP level, both ways a client may authenticate: Basic on /v2, and a
    // token the outsider got from the token service.
    const answers: Array<Record<string, Exchange>> = [];
    for (const name of [existing, absent]) {
      const basic = await exchange(`${reg!.url}/v2/${name}/manifests/v1`, { headers: { Authorization: basicAuth(outsider) } });
      const tokenUrl = `${reg!.url}/service/token?service=berth&scope=${encodeURIComponent(`repository:${name}:pull`)}`;
      const tokenRes = await fetch(tokenUrl, { headers: { Authorization: basicAuth(outsider) } });
      const tokenText = await tokenRes.text();
      assert.equal(tokenRes.status, 200, `GET ${tokenUrl} as outsider: ${tokenRes.status} ${tokenText}`);
      const { token } = JSON.parse(tokenText) as { token: string };
      const bearer = await exchange(`${reg!.url}/v2/${name}/manifests/v1`, { headers: { Authorization: `Bearer ${token}` } });
      const normalized = (e: Exchange) => ({
        ...e,
        challenge: e.challenge.replaceAll(name, '<repo>'),
        body: e.body.replaceAll(name, '<repo>'),
      });
      answers.push({ basic: normalized(basic), bearer: normalized(bearer) });
    }
    for (const how of ['basic', 'bearer']) {
      const [a, b] = [answers[0][how], answers[1][how]];
      assert.ok([401, 403].includes(a.status), `outsider GET ${existing} (${how}): ${JSON.stringify(a)}`);
      assert.deepEqual(b, a, `outsider (${how}): existing and missing repository answered differently`);
    }
  });

  it('anyone, also anonymous, pulls from the public project with skopeo; nobody unentitled pushes there', async () => {
    const pub = `${reg!.host}/${PUBLIC}/anon-img`;
    const digestFile = path.join(dir!, 'pub.digest');
    await skopeo([
      'copy',
      '--dest-tls-verify=false',
      ...credsFlag('--dest-creds', admin),
      '--digestfile',
      digestFile,
      `oci:${layout}:v1`,
      `docker://${pub}:v1`,
    ]);
    assert.equal((await readFile(digestFile, 'utf8')).trim(), ociImage.manifestDigest);

    const info = JSON.parse((await skopeo(['inspect', '--tls-verify=false', '--no-creds', `docker://${pub}:v1`])).stdout) as {
      Digest: string;
      Layers: string[];
    };
    assert.equal(info.Digest, ociImage.manifestDigest);
    assert.deepEqual(info.Layers, ociImage.layerDigests);
    const back = path.join(dir!, 'anon-back');
    await skopeo(['copy', '--src-tls-verify=false', '--src-no-creds', `docker://${pub}:v1`, `oci:${back}:v1`]);
    for (const [digest, data] of ociImage.blobs) {
      const pulled = await readFile(path.join(back, 'blobs/sha256', digest.slice('sha256:'.length)));
      assert.ok(pulled.equals(data), `blob ${digest} differs after an anonymous pull`);
    }
    // A logged-in user who is no member of the public project pulls as well.
    const asOutsider = JSON.parse((await skopeo(['inspect', '--tls-verify=false', ...credsFlag('--creds', outsider), `docker://${pub}:v1`])).stdout) as {
      Digest: string;
    };
    assert.equal(asOutsider.Digest, ociImage.manifestDigest);

    const copyTo = (ref: string, creds: string[]) =>
      skopeo(['copy', '--dest-tls-verify=false', ...creds, `oci:${layout}:v1`, `docker://${ref}`], { allowFailure: true });
    assertRefused(await copyTo(`${pub}:anon`, ['--dest-no-creds']), 'anonymous push to the public project');
    assertRefused(await copyTo(`${pub}:dev`, credsFlag('--dest-creds', dev)), 'non-member push to the public project');
    assert.deepEqual(await listTags(reg!, `${PUBLIC}/anon-img`), ['v1']);
    assertRefused(
      await skopeo(['inspect', '--tls-verify=false', '--no-creds', `docker://${app()}:v1`], { allowFailure: true }),
      'anonymous inspect in the private project',
    );
  });

  it('the guest logs in with podman and pulls; its podman push is refused', async () => {
    assert.match((await containersLogin(podman, podmanEnv, reg!.host, guest)).stdout, /Login Succeeded/);
    const ref = `${app()}:v1`;
    await podman(['pull', '--tls-verify=false', ...podmanPolicy, ref]);
    assert.equal((await podman(['image', 'inspect', '--format', '{{.Digest}}', ref])).stdout.trim(), appDigest);
    const mountpoint = (await podman(['image', 'mount', ref])).stdout.trim();
    try {
      await expectFiles(mountpoint, mergeLayers(layers));
    } finally {
      await podman(['image', 'unmount', ref]);
    }
    assertRefused(
      await podman(['push', '--tls-verify=false', ...podmanPolicy, ref, `docker://${reg!.host}/${PRIVATE}/podman-guest:v1`], {
        allowFailure: true,
      }),
      'guest podman push',
    );
  });

  it('the developer pushes with skopeo --dest-creds; the guest may not', async () => {
    const ref = `${reg!.host}/${PRIVATE}/skopeo-dev`;
    const digestFile = path.join(dir!, 'dev.digest');
    await skopeo(['copy', '--dest-tls-verify=false', ...credsFlag('--dest-creds', dev), '--digestfile', digestFile, `oci:${layout}:v1`, `docker://${ref}:v1`]);
    assert.equal((await readFile(digestFile, 'utf8')).trim(), ociImage.manifestDigest);
    assert.equal((await getManifest(reg!, `${PRIVATE}/skopeo-dev`, 'v1')).digest, ociImage.manifestDigest);
    const info = JSON.parse((await skopeo(['inspect', '--tls-verify=false', ...credsFlag('--creds', dev), `docker://${ref}:v1`])).stdout) as { Digest: string };
    assert.equal(info.Digest, ociImage.manifestDigest);

    const byGuest = await skopeo(['copy', '--dest-tls-verify=false', ...credsFlag('--dest-creds', guest), `oci:${layout}:v1`, `docker://${ref}:by-guest`], {
      allowFailure: true,
    });
    assertRefused(byGuest, 'guest skopeo push');
    assert.deepEqual(await listTags(reg!, `${PRIVATE}/skopeo-dev`), ['v1']);
  });

  it('a robot account logs in with docker and skopeo, pushes and pulls within its grants', async () => {
    const res = await fetch(`${reg!.url}/api/v2.0/robots`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(`${admin.username}:${admin.password}`).toString('base64')}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: 'ci',
        level: 'project',
        duration: -1,
        permissions: [
          {
            kind: 'project',
            namespace: PRIVATE,
            access: [
              { resource: 'repository', action: 'pull' },
              { resource: 'repository', action: 'push' },
            ],
          },
        ],
      }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const created = (await res.json()) as { name: string; secret: string };
    const robot = { username: created.name, password: created.secret };
    const d = dockerd!;
    const robotConfig = await d.newClientConfig('robot');
    assert.match((await d.login(reg!.host, robot, robotConfig)).stdout, /Login Succeeded/);
    await d.docker(['tag', `${app()}:v1`, `${app()}:from-robot`]);
    const digest = pushedDigest((await d.docker(['push', `${app()}:from-robot`], { config: robotConfig })).stdout);
    assert.equal(digest, appDigest, 'the same image, pushed by the robot');
    await d.docker(['rmi', `${app()}:from-robot`]);
    assert.match((await d.docker(['pull', `${app()}:from-robot`], { config: robotConfig })).stdout, new RegExp(`Digest: ${appDigest}`));

    const ref = `${reg!.host}/${PRIVATE}/skopeo-robot`;
    await skopeo(['copy', '--dest-tls-verify=false', ...credsFlag('--dest-creds', robot), `oci:${layout}:v1`, `docker://${ref}:v1`]);
    assert.equal((await getManifest(reg!, `${PRIVATE}/skopeo-robot`, 'v1')).digest, ociImage.manifestDigest);
    const elsewhere = await skopeo(
      ['copy', '--dest-tls-verify=false', ...credsFlag('--dest-creds', robot), `oci:${layout}:v1`, `docker://${reg!.host}/${PUBLIC}/robot:v1`],
      { allowFailure: true },
    );
    assertRefused(elsewhere, 'robot push outside its project');
  });
});
