// The copy engine between two real registries (Berth A and Berth B, each with token auth):
// multi-arch indexes arrive byte for byte, children and blobs before parents, the tag
// last; present blobs are skipped, blobs placed by the same copy are mounted; a corrupted
// blob never lands; failures worth retrying are retried, others give up with a reason.
import assert from 'node:assert/strict';
import http from 'node:http';
import { Transform } from 'node:stream';
import { RegistryClient } from '../../replication/transfer/client.js';
import { copyArtifact } from '../../replication/transfer/copy.js';
import { addMember, admin, basic, createProject, createUser } from '../helpers/api.js';
import { startTestRegistry, type TestRegistry } from '../helpers/inProcess.js';
import { asBody, getBytes, pushImage, sha256, v2fetch } from '../helpers/v2client.js';

const password = 'Passw0rd-Test';
const allow = { loopback: true, private: false };
const fast = { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 };

async function pushIndex(base: string, repo: string, tag: string): Promise<{ digest: string; body: Buffer; children: string[] }> {
  const amd = await pushImage(base, repo, `${tag}-amd64`);
  const arm = await pushImage(base, repo, `${tag}-arm64`);
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: amd.digest, size: amd.body.length, platform: { architecture: 'amd64', os: 'linux' } },
      { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: arm.digest, size: arm.body.length, platform: { architecture: 'arm64', os: 'linux' } },
    ],
  };
  // Odd spacing on purpose: a copy that re-serialised the JSON would change the digest.
  const body = Buffer.from(JSON.stringify(index, null, 3));
  const res = await v2fetch(`${base}/v2/${repo}/manifests/${tag}`, { method: 'PUT', body: asBody(body), headers: { 'Content-Type': index.mediaType } });
  assert.equal(res.status, 201);
  return { digest: sha256(body), body, children: [amd.digest, arm.digest] };
}

/** An HTTP proxy in front of a registry; `intercept` may answer a request itself or transform a response body. */
async function startProxy(
  target: string,
  intercept: (req: http.IncomingMessage) => { status?: number; headers?: Record<string, string>; transform?: () => Transform } | undefined,
) {
  const server = http.createServer((req, res) => {
    const action = intercept(req);
    if (action?.status) {
      res.writeHead(action.status, action.headers ?? {});
      res.end('injected failure');
      req.resume();
      return;
    }
    const url = new URL(req.url!, target);
    const upstream = http.request(url, { method: req.method, headers: { ...req.headers, host: url.host } }, (up) => {
      const headers = { ...up.headers };
      // Keep Location and the token realm pointing at the proxy, as a real front end would.
      for (const k of ['location', 'www-authenticate']) {
        const v = headers[k];
        if (typeof v === 'string') headers[k] = v.split(target).join(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
      }
      res.writeHead(up.statusCode!, headers);
      (action?.transform ? up.pipe(action.transform()) : up).pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

describe(`replication copy engine`, function () {
  this.timeout(60_000);
  let a: TestRegistry;
  let b: TestRegistry;
  let src: RegistryClient;
  let dst: RegistryClient;

  before(async () => {
    [a, b] = await Promise.all([startTestRegistry(), startTestRegistry()]);
    await createProject(a.url, 'src');
    await createUser(a.url, 'reader', password);
    await addMember(a.url, 'src', 'reader', 3); // guest: pull only
    await createProject(b.url, 'dst');
    await createUser(b.url, 'writer', password);
    await addMember(b.url, 'dst', 'writer', 2); // developer: push
    src = new RegistryClient({ url: a.url, insecure: false, credential: { username: 'reader', password } }, allow);
    dst = new RegistryClient({ url: b.url, insecure: false, credential: { username: 'writer', password } }, allow);
  });
  after(async () => {
    await a?.close();
    await b?.close();
  });

  it("copies a multi-arch index byte for byte, through both registries' token flows, the tag last", async () => {
    const index = await pushIndex(a.url, 'src/multi', 'v1');
    const lines: string[] = [];
    const { digest, progress } = await copyArtifact(src, 'src/multi', dst, 'dst/multi', 'v1', { retry: fast, log: (l) => lines.push(l) });
    assert.equal(digest, index.digest);
    assert.deepEqual({ ...progress, bytes: progress.bytes > 0 }, { blobsCopied: 4, blobsSkipped: 0, blobsMounted: 0, manifests: 3, bytes: true });
    const byTag = await getBytes(`${b.url}/v2/dst/multi/manifests/v1`, { headers: { Accept: 'application/vnd.oci.image.index.v1+json' } });
    assert.equal(byTag.status, 200);
    assert.ok(byTag.body.equals(index.body), 'the index arrives byte for byte');
    for (const child of index.children) assert.equal((await getBytes(`${b.url}/v2/dst/multi/manifests/${child}`)).status, 200);
    const order = lines.filter((l) => /^(pushed manifest|tagged)/.test(l));
    assert.deepEqual(
      order.map((l) => l.split(' ')[0] + (l.includes(index.digest) && l.startsWith('pushed') ? ' index' : '')),
      ['pushed', 'pushed', 'pushed index', 'tagged'],
      'children, then the index, then the tag',
    );
    assert.equal((await getBytes(`${b.url}/v2/dst/multi/manifests/v1-amd64`)).status, 404, 'only the requested tag is made');
  });

  it('skips what the destination has, and mounts blobs it placed in another repository', async () => {
    const again = await copyArtifact(src, 'src/multi', dst, 'dst/multi', 'v1', { retry: fast });
    assert.deepEqual(
      { ...again.progress, blobsSkipped: 0 },
      { blobsCopied: 0, blobsSkipped: 0, blobsMounted: 0, manifests: 0, bytes: 0 },
      'the index is there: nothing under it is sent again',
    );
    const image = await pushImage(a.url, 'src/app', 'v1');
    const placed = new Map<string, string>();
    const first = await copyArtifact(src, 'src/app', dst, 'dst/app', 'v1', { retry: fast, placed });
    assert.equal(first.progress.blobsCopied, 2);
    const second = await copyArtifact(src, 'src/app', dst, 'dst/app-copy', image.digest, { retry: fast, placed });
    assert.equal(second.progress.blobsMounted, 2, 'same blobs, another repository of the destination: mounted, not sent again');
    assert.equal(second.progress.bytes, 0);
    assert.equal((await getBytes(`${b.url}/v2/dst/app-copy/manifests/${image.digest}`)).status, 200);
  });

  it('never lands a blob whose bytes do not match its digest, nor the tag above it', async () => {
    const image = await pushImage(a.url, 'src/tampered', 'v1');
    const layer = JSON.parse(image.body.toString()).layers[0].digest as string;
    const flip = () =>
      new Transform({
        transform(chunk: Buffer, _enc, done) {
          const copy = Buffer.from(chunk);
          copy[0] ^= 0xff;
          done(null, copy);
        },
      });
    const proxy = await startProxy(a.url, (req) => (req.method === 'GET' && req.url?.includes(`/blobs/${layer}`) ? { transform: flip } : undefined));
    try {
      const bad = new RegistryClient({ url: proxy.url, insecure: false, credential: { username: 'reader', password } }, allow);
      await assert.rejects(copyArtifact(bad, 'src/tampered', dst, 'dst/tampered', 'v1', { retry: fast }), /digest|arrived as/i);
    } finally {
      await proxy.close();
    }
    assert.equal((await getBytes(`${b.url}/v2/dst/tampered/blobs/${layer}`)).status, 404);
    assert.equal((await getBytes(`${b.url}/v2/dst/tampered/manifests/v1`)).status, 404);
  });

  it("never moves a destination tag an immutability rule holds, whatever the rule's override", async () => {
    const rule = await fetch(`${b.url}/api/v2.0/projects/dst/immutabletagrules`, {
      method: 'POST',
      headers: { Authorization: basic(admin), 'Content-Type': 'application/json' },
      body: JSON.stringify({
        tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: 'release' }],
        scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: 'locked' }] },
      }),
    });
    assert.equal(rule.status, 201, await rule.clone().text());
    const first = await pushImage(a.url, 'src/locked', 'release');
    await copyArtifact(src, 'src/locked', dst, 'dst/locked', 'release', { retry: fast, override: true });
    // Upstream moves the tag; the copy with override must not move it here.
    await pushImage(a.url, 'src/locked', 'release');
    await assert.rejects(
      copyArtifact(src, 'src/locked', dst, 'dst/locked', 'release', { retry: fast, override: true }),
      /403.*DENIED.*tag release of dst\/locked is immutable \(rule \d+/s,
    );
    const head = await v2fetch(`${b.url}/v2/dst/locked/manifests/release`, { method: 'HEAD' });
    assert.equal(head.headers.get('docker-content-digest'), first.digest);
  });

  it('retries 503 and 429 (honouring Retry-After), and gives up with the reason when attempts run out', async () => {
    await pushImage(a.url, 'src/flaky', 'v1');
    let failures = 0;
    const proxy = await startProxy(b.url, (req) => {
      if (req.method === 'PUT' && failures < 2) {
        failures++;
        return failures === 1 ? { status: 503 } : { status: 429, headers: { 'Retry-After': '0' } };
      }
      return undefined;
    });
    try {
      const flakyDst = new RegistryClient({ url: proxy.url, insecure: false, credential: { username: 'writer', password } }, allow);
      const lines: string[] = [];
      const { progress } = await copyArtifact(src, 'src/flaky', flakyDst, 'dst/flaky', 'v1', { retry: fast, log: (l) => lines.push(l) });
      assert.equal(progress.blobsCopied, 2);
      const retries = lines.filter((l) => /attempt \d of 3/.test(l));
      assert.equal(retries.length, 2, lines.join('\n'));
      // Blobs copy in parallel, so the two failures may hit one blob or two.
      assert.ok(
        retries.some((l) => /503 .*attempt \d of 3 in 10 ms/.test(l)),
        lines.join('\n'),
      );
      assert.ok(
        retries.some((l) => /429 .*attempt \d of 3 in 0 ms/.test(l)),
        'Retry-After: 0 is honoured over the backoff',
      );
    } finally {
      await proxy.close();
    }
    assert.equal((await getBytes(`${b.url}/v2/dst/flaky/manifests/v1`)).status, 200);
    const down = new RegistryClient({ url: 'http://127.0.0.1:1', insecure: false }, allow);
    await assert.rejects(copyArtifact(src, 'src/flaky', down, 'dst/flaky', 'v1', { retry: fast }), /gave up after 3 attempts/);
  });
});
