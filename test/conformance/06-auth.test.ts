// Berth is closed by default (Harbor-style, docs/design/0003 and 0004): every /v2 request
// needs credentials except pulls from public projects. This file pins the Docker token flow
// as clients see it: the anonymous challenge and its scope per route, the token endpoint,
// what a token does and does not cover, forged tokens, and HTTP Basic directly on /v2.
// Requests here are sent bare (anonymousClient, or an explicit Authorization header), never
// through the client's automatic token handling.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { parseChallenges, tokenUrl, type Credentials } from './support/auth.js';
import type { OciClient, RegistryResponse } from './support/client.js';
import { sha256 } from './support/digest.js';
import { expectHeader, expectOciError, expectStatus, mediaTypeOf } from './support/expect.js';
import { mediaTypes } from './support/fixtures.js';
import { pushImage, randomBlob, type PushedImage } from './support/oci.js';
import { anonymousClient, client, publicProjectName, registryUrl, repoName, runCredentials } from './support/registry.js';

const service = 'berth';
const manifestAccept = [mediaTypes.ociManifest, mediaTypes.ociIndex, mediaTypes.dockerManifest, mediaTypes.dockerManifestList].join(', ');

interface TokenBody {
  token?: unknown;
  access_token?: unknown;
  expires_in?: unknown;
  issued_at?: unknown;
}

interface AccessEntry {
  type: string;
  name: string;
  actions: string[];
}

interface Claims {
  iss?: unknown;
  sub?: unknown;
  aud?: unknown;
  exp?: unknown;
  nbf?: unknown;
  iat?: unknown;
  access?: AccessEntry[];
}

interface TokenResult {
  status: number;
  headers: Headers;
  text: string;
  describe: string;
}

function realm(): string {
  return `${registryUrl()}/service/token`;
}

function basicOf(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

/** GET /service/token?service=berth&scope=…&scope=… with Basic credentials, or none. */
async function requestToken(scopes: readonly string[], creds?: Credentials): Promise<TokenResult> {
  const url = tokenUrl(realm(), registryUrl(), service, scopes);
  const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'berth-conformance' };
  if (creds) headers.authorization = basicOf(creds);
  const res = await fetch(url, { headers });
  const text = await res.text();
  const ct = res.headers.get('content-type');
  return {
    status: res.status,
    headers: res.headers,
    text,
    describe: `GET ${url.pathname}${url.search} (${creds ? `as ${creds.username}` : 'anonymous'}) -> ${res.status} [content-type: ${ct}] ${text.slice(0, 400)}`,
  };
}

/** A token the registry must issue (200), and its decoded JWT. */
async function issue(
  scopes: readonly string[],
  creds?: Credentials,
): Promise<{ token: string; body: TokenBody; claims: Claims; header: Record<string, unknown> }> {
  const res = await requestToken(scopes, creds);
  assert.equal(res.status, 200, res.describe);
  const body = JSON.parse(res.text) as TokenBody;
  assert.equal(typeof body.token, 'string', res.describe);
  const token = body.token as string;
  const { header, claims } = decodeJwt(token, res.describe);
  return { token, body, claims, header };
}

function decodeJwt(token: string, context: string): { header: Record<string, unknown>; claims: Claims } {
  const parts = token.split('.');
  assert.equal(parts.length, 3, `a JWT has three dot-separated parts: ${context}`);
  for (const p of parts) assert.match(p, /^[A-Za-z0-9_-]+$/, `JWT parts are unpadded base64url: ${context}`);
  const json = (p: string) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  return { header: json(parts[0]), claims: json(parts[1]) as Claims };
}

function b64url(v: unknown): string {
  return Buffer.from(JSON.stringify(v)).toString('base64url');
}

/** The actions a token grants on one repository (every matching entry, unioned). */
function granted(claims: Claims, name: string): string[] {
  const set = new Set<string>();
  for (const e of claims.access ?? []) if (e.type === 'repository' && e.name === name) for (const a of e.actions ?? []) set.add(a);
  return [...set].sort();
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The exact challenge of an anonymous request: realm, service and (when the route has one) scope. */
function expectAnonymousChallenge(res: RegistryResponse, scope: string | undefined): void {
  assert.equal(res.status, 401, `expected 401: ${res.describe()}`);
  const expected = `Bearer realm="${realm()}",service="${service}"${scope === undefined ? '' : `,scope="${scope}"`}`;
  assert.equal(res.header('www-authenticate'), expected, `WWW-Authenticate: ${res.describe()}`);
  if (res.method !== 'HEAD') expectOciError(res, 401, 'UNAUTHORIZED');
}

/** A token was presented and does not cover the request: 401, error="insufficient_scope". */
function expectInsufficientScope(res: RegistryResponse, scope: string): void {
  assert.equal(res.status, 401, `expected 401: ${res.describe()}`);
  const ch = parseChallenges(res.header('www-authenticate')).find((c) => c.scheme === 'bearer');
  assert.ok(ch, `expected a Bearer challenge: ${res.describe()}`);
  assert.deepEqual(
    { realm: ch.params.realm, service: ch.params.service, scope: ch.params.scope, error: ch.params.error },
    { realm: realm(), service, scope, error: 'insufficient_scope' },
    res.describe(),
  );
  if (res.method !== 'HEAD') expectOciError(res, 401, 'UNAUTHORIZED');
}

/** A presented token that is not valid: 401 with a Bearer challenge, error="invalid_token". */
function expectInvalidToken(res: RegistryResponse): void {
  assert.equal(res.status, 401, `expected 401: ${res.describe()}`);
  const ch = parseChallenges(res.header('www-authenticate')).find((c) => c.scheme === 'bearer');
  assert.ok(ch, `expected a Bearer challenge: ${res.describe()}`);
  assert.equal(ch.params.realm, realm(), res.describe());
  assert.equal(ch.params.error, 'invalid_token', res.describe());
}

describe('Berth auth: closed by default, Docker token flow', () => {
  let creds: Credentials;
  let admin: OciClient; // authenticates as the run's credentials
  let anonA: OciClient; // sends nothing
  const repoA = repoName('auth/a');
  const repoB = repoName('auth/b');
  let imageA: PushedImage;
  let imageB: PushedImage;

  before(async function () {
    const c = runCredentials();
    if (!c) {
      // Against BERTH_CONFORMANCE_URL without BERTH_CONFORMANCE_USER/PASSWORD there is nobody to log in as.
      this.skip();
    }
    creds = c;
    admin = client(repoA);
    anonA = anonymousClient(repoA);
    imageA = await pushImage(admin, 'latest');
    imageB = await pushImage(admin.withName(repoB), 'latest');
  });

  const getManifest = (cl: OciClient, headers: Record<string, string> = {}, reference = 'latest', method = 'GET') =>
    cl.request(method, '/v2/<name>/manifests/<reference>', { reference, headers: { accept: manifestAccept, ...headers } });

  describe('GET /v2/', () => {
    it('anonymous: 401 with Bearer realm="<base>/service/token",service="berth" (no scope) and Docker-Distribution-API-Version', async () => {
      const res = await anonA.request('GET', '/v2/');
      expectAnonymousChallenge(res, undefined);
      expectHeader(res, 'docker-distribution-api-version', 'registry/2.0');
    });

    it('with HTTP Basic admin credentials: 200', async () => {
      const res = await anonA.request('GET', '/v2/', { headers: { authorization: basicOf(creds) } });
      expectStatus(res, 200);
    });

    it('docker login: a token asked for without a scope is issued to a user, and opens /v2/', async () => {
      const { token, claims } = await issue([], creds);
      assert.deepEqual(claims.access ?? [], [], 'no scope asked, no access granted');
      expectStatus(await anonA.request('GET', '/v2/', { headers: bearer(token) }), 200);
    });
  });

  describe('anonymous requests to a private project are challenged with the scope the route needs', () => {
    const cases: Array<[string, string, (n: string) => string, Record<string, string>?]> = [
      ['GET', '/v2/<name>/manifests/latest', (n) => `repository:${n}:pull`],
      ['HEAD', '/v2/<name>/manifests/latest', (n) => `repository:${n}:pull`],
      ['GET', '/v2/<name>/tags/list', (n) => `repository:${n}:pull`],
      ['GET', '/v2/<name>/blobs/<digest>', (n) => `repository:${n}:pull`],
      ['HEAD', '/v2/<name>/blobs/<digest>', (n) => `repository:${n}:pull`],
      ['GET', '/v2/<name>/referrers/<digest>', (n) => `repository:${n}:pull`],
      ['POST', '/v2/<name>/blobs/uploads/', (n) => `repository:${n}:pull,push`],
      ['PATCH', `/v2/<name>/blobs/uploads/${randomUUID()}`, (n) => `repository:${n}:pull,push`],
      ['PUT', `/v2/<name>/blobs/uploads/${randomUUID()}?digest=${sha256('x')}`, (n) => `repository:${n}:pull,push`],
      ['PUT', '/v2/<name>/manifests/anon-push', (n) => `repository:${n}:pull,push`],
      ['DELETE', '/v2/<name>/manifests/<digest>', (n) => `repository:${n}:delete`],
      ['DELETE', '/v2/<name>/blobs/<digest>', (n) => `repository:${n}:delete`],
      ['GET', '/v2/_catalog', () => 'registry:catalog:*'],
    ];
    for (const [method, path, scope] of cases) {
      it(`${method} ${path.replace(/[0-9a-f-]{36}/, '<uuid>').replace(/sha256:[0-9a-f]{64}/, '<digest>')} → 401, scope="${scope('<name>')}"`, async () => {
        const digest = path.includes('/blobs/') ? imageA.layer.digest : imageA.digest;
        const body = method === 'PUT' || method === 'PATCH' ? imageA.manifest : undefined;
        const headers: Record<string, string> = method === 'PUT' && path.includes('/manifests/') ? { 'content-type': mediaTypes.ociManifest } : {};
        const res = await anonA.request(method, path, { digest, body, headers });
        expectAnonymousChallenge(res, scope(repoA));
      });
    }

    it('a cross-repository mount asks for pull,push on the target and pull on the source', async () => {
      const res = await anonA.request('POST', '/v2/<name>/blobs/uploads/', { query: { mount: imageB.layer.digest, from: repoB } });
      expectAnonymousChallenge(res, `repository:${repoA}:pull,push repository:${repoB}:pull`);
    });

    it('a repository that does not exist, and a project that does not exist, are challenged the same way', async () => {
      const absent = repoName('auth/absent');
      expectAnonymousChallenge(await getManifest(anonymousClient(absent)), `repository:${absent}:pull`);
      const noProject = `no-such-project-${randomUUID().slice(0, 8)}/x`;
      expectAnonymousChallenge(await getManifest(anonymousClient(noProject)), `repository:${noProject}:pull`);
    });

    it('refused requests change nothing: an anonymous PUT stores no tag, an anonymous DELETE deletes nothing', async () => {
      const put = await anonA.request('PUT', '/v2/<name>/manifests/<reference>', {
        reference: 'anon-written',
        headers: { 'content-type': mediaTypes.ociManifest },
        body: imageA.manifest,
      });
      expect401(put);
      expectOciError(await getManifest(admin, {}, 'anon-written'), 404, 'MANIFEST_UNKNOWN');
      expect401(await anonA.request('DELETE', '/v2/<name>/manifests/<digest>', { digest: imageA.digest }));
      expect401(await anonA.request('DELETE', '/v2/<name>/blobs/<digest>', { digest: imageA.layer.digest }));
      expectStatus(await getManifest(admin, {}, imageA.digest), 200);
      expectStatus(await admin.request('GET', '/v2/<name>/blobs/<digest>', { digest: imageA.layer.digest }), 200);
    });
  });

  describe('the token endpoint', () => {
    it('issues {token, access_token, expires_in, issued_at}: an RS256 JWT whose grants are what was asked ∩ what is allowed', async () => {
      const res = await requestToken([`repository:${repoA}:pull,push`], creds);
      assert.equal(res.status, 200, res.describe);
      assert.equal(mediaTypeOf(res.headers.get('content-type')), 'application/json', res.describe);
      const body = JSON.parse(res.text) as TokenBody;
      assert.equal(typeof body.token, 'string', res.describe);
      assert.equal(body.access_token, body.token, `access_token is the same token: ${res.describe}`);
      assert.ok(typeof body.expires_in === 'number' && Number.isInteger(body.expires_in) && body.expires_in > 0, `expires_in: ${res.describe}`);
      assert.equal(typeof body.issued_at, 'string', res.describe);
      const issuedAt = Date.parse(body.issued_at as string);
      assert.ok(Number.isFinite(issuedAt) && Math.abs(issuedAt - Date.now()) < 5 * 60_000, `issued_at is a current RFC 3339 time: ${res.describe}`);

      const { header, claims } = decodeJwt(body.token as string, res.describe);
      assert.equal(header.alg, 'RS256', `JWT header ${JSON.stringify(header)}`);
      assert.equal(typeof header.kid, 'string', `JWT header ${JSON.stringify(header)}`);
      assert.equal(claims.aud, service, `aud: ${JSON.stringify(claims)}`);
      assert.equal(claims.sub, creds.username, `sub: ${JSON.stringify(claims)}`);
      const now = Date.now() / 1000;
      assert.ok(typeof claims.exp === 'number' && claims.exp > now, `exp: ${JSON.stringify(claims)}`);
      // pull,push asked, everything allowed: exactly pull,push (never delete, never *).
      assert.deepEqual(granted(claims, repoA), ['pull', 'push'], JSON.stringify(claims.access));
    });

    it('takes a repeated scope parameter and grants per repository', async () => {
      const { claims } = await issue([`repository:${repoA}:pull`, `repository:${repoB}:pull,delete`], creds);
      assert.deepEqual(granted(claims, repoA), ['pull'], JSON.stringify(claims.access));
      assert.deepEqual(granted(claims, repoB), ['delete', 'pull'], JSON.stringify(claims.access));
    });

    it('a wrong password is 401, and no token', async () => {
      const res = await requestToken([`repository:${repoA}:pull`], { username: creds.username, password: `${creds.password}-wrong` });
      assert.equal(res.status, 401, res.describe);
      assert.ok(!/"(access_)?token"/.test(res.text), `no token on a failed login: ${res.describe}`);
    });

    it('anonymous without a scope is 401 (there is nothing to log in to)', async () => {
      const res = await requestToken([]);
      assert.equal(res.status, 401, res.describe);
    });

    it('anonymous with a scope on a private project: a token with no access, which /v2 refuses as insufficient_scope', async () => {
      const { token, claims } = await issue([`repository:${repoA}:pull`]);
      assert.equal(claims.sub ?? '', '', `an anonymous token has no subject: ${JSON.stringify(claims)}`);
      assert.deepEqual(granted(claims, repoA), [], JSON.stringify(claims.access));
      expectInsufficientScope(await getManifest(anonA, bearer(token)), `repository:${repoA}:pull`);
    });
  });

  describe('a token covers exactly its repositories and actions', () => {
    it('a token for <project>/a is refused on <project>/b', async () => {
      const { token } = await issue([`repository:${repoA}:pull,push,delete`], creds);
      expectStatus(await getManifest(anonA, bearer(token)), 200);
      const anonB = anonymousClient(repoB);
      expectInsufficientScope(await getManifest(anonB, bearer(token)), `repository:${repoB}:pull`);
      expectInsufficientScope(await anonB.request('POST', '/v2/<name>/blobs/uploads/', { headers: bearer(token) }), `repository:${repoB}:pull,push`);
    });

    it('a pull-only token reads, but is refused on push and delete, and nothing changes', async () => {
      const { token } = await issue([`repository:${repoA}:pull`], creds);
      expectStatus(await getManifest(anonA, bearer(token)), 200);
      expectStatus(await anonA.request('HEAD', '/v2/<name>/blobs/<digest>', { digest: imageA.layer.digest, headers: bearer(token) }), 200);

      expectInsufficientScope(await anonA.request('POST', '/v2/<name>/blobs/uploads/', { headers: bearer(token) }), `repository:${repoA}:pull,push`);
      const blob = randomBlob(16);
      const monolithic = await anonA.request('POST', '/v2/<name>/blobs/uploads/', {
        query: { digest: blob.digest },
        headers: { ...bearer(token), 'content-type': 'application/octet-stream' },
        body: blob.content,
      });
      expectInsufficientScope(monolithic, `repository:${repoA}:pull,push`);
      expectOciError(await admin.request('HEAD', '/v2/<name>/blobs/<digest>', { digest: blob.digest }), 404, 'BLOB_UNKNOWN');

      const put = await anonA.request('PUT', '/v2/<name>/manifests/<reference>', {
        reference: 'pull-only-written',
        headers: { ...bearer(token), 'content-type': mediaTypes.ociManifest },
        body: imageA.manifest,
      });
      expectInsufficientScope(put, `repository:${repoA}:pull,push`);
      expectOciError(await getManifest(admin, {}, 'pull-only-written'), 404, 'MANIFEST_UNKNOWN');

      expectInsufficientScope(
        await anonA.request('DELETE', '/v2/<name>/manifests/<digest>', { digest: imageA.digest, headers: bearer(token) }),
        `repository:${repoA}:delete`,
      );
      expectStatus(await getManifest(admin, {}, imageA.digest), 200);
    });

    it('a mount takes the blob only with pull on the source in the token; without it the POST is a plain 202 session', async () => {
      const target = repoName('auth/mount-target');
      const anonTarget = anonymousClient(target);
      const mount = (token: string) =>
        anonTarget.request('POST', '/v2/<name>/blobs/uploads/', { query: { mount: imageB.layer.digest, from: repoB }, headers: bearer(token) });

      const pushOnly = await issue([`repository:${target}:pull,push`], creds);
      const plain = await mount(pushOnly.token);
      expectStatus(plain, 202);
      assert.ok(plain.relativeLocation().startsWith(`/v2/${target}/blobs/uploads/`), plain.describe());

      const withSource = await issue([`repository:${target}:pull,push`, `repository:${repoB}:pull`], creds);
      const mounted = await mount(withSource.token);
      expectStatus(mounted, 201);
      assert.equal(mounted.relativeLocation(), `/v2/${target}/blobs/${imageB.layer.digest}`, mounted.describe());
    });

    it('the catalog needs registry:catalog:*; a repository token does not open it', async () => {
      const { token } = await issue([`repository:${repoA}:pull,push,delete`], creds);
      expectInsufficientScope(await anonA.request('GET', '/v2/_catalog', { headers: bearer(token) }), 'registry:catalog:*');
      const cat = await issue(['registry:catalog:*'], creds);
      expectStatus(await anonA.request('GET', '/v2/_catalog', { headers: bearer(cat.token) }), 200);
    });
  });

  describe('forged and malformed tokens are refused (401, error="invalid_token")', () => {
    let real: { token: string; claims: Claims; header: Record<string, unknown> };
    before(async () => {
      real = await issue([`repository:${repoA}:pull`], creds);
    });

    it('alg "none", claiming every action, with and without a signature', async () => {
      const claims = { ...real.claims, access: [{ type: 'repository', name: repoA, actions: ['pull', 'push', 'delete'] }] };
      const signature = real.token.split('.')[2];
      for (const header of [
        { alg: 'none', typ: 'JWT' },
        { ...real.header, alg: 'none' },
      ]) {
        for (const forged of [`${b64url(header)}.${b64url(claims)}.`, `${b64url(header)}.${b64url(claims)}.${signature}`]) {
          expectInvalidToken(await getManifest(anonA, bearer(forged)));
          expectInvalidToken(await anonA.request('POST', '/v2/<name>/blobs/uploads/', { headers: bearer(forged) }));
        }
      }
    });

    it('a real token whose claims were widened (signature no longer matches)', async () => {
      const parts = real.token.split('.');
      const widened = { ...real.claims, access: [{ type: 'repository', name: repoA, actions: ['pull', 'push', 'delete'] }] };
      const forged = `${parts[0]}.${b64url(widened)}.${parts[2]}`;
      expectInvalidToken(await anonA.request('POST', '/v2/<name>/blobs/uploads/', { headers: bearer(forged) }));
      expectInvalidToken(await getManifest(anonA, bearer(forged)));
    });

    for (const garbage of ['not-a-token', 'a.b.c', 'e30.e30.', '', `${'x'.repeat(100)}.${'y'.repeat(100)}.${'z'.repeat(100)}`]) {
      it(`garbage ${JSON.stringify(garbage.length > 20 ? `${garbage.slice(0, 10)}…` : garbage)}`, async () => {
        const res = await getManifest(anonA, { authorization: `Bearer ${garbage}`.trimEnd() });
        assert.equal(res.status, 401, res.describe());
        assert.ok(
          parseChallenges(res.header('www-authenticate')).some((c) => c.scheme === 'bearer'),
          `expected a Bearer challenge: ${res.describe()}`,
        );
      });
    }
  });

  describe('HTTP Basic directly on /v2', () => {
    it('admin credentials pull and push without a token', async () => {
      const headers = { authorization: basicOf(creds) };
      const res = await getManifest(anonA, headers);
      expectStatus(res, 200);
      assert.ok(res.body.equals(imageA.manifest), res.describe());
      expectStatus(await anonA.request('POST', '/v2/<name>/blobs/uploads/', { headers }), 202);
    });
  });

  describe('public projects', () => {
    const pubRepo = `${publicProjectName}/auth/pub`;
    let pub: PushedImage;
    let anonPub: OciClient;
    before(async () => {
      pub = await pushImage(client(pubRepo), 'latest');
      anonPub = anonymousClient(pubRepo);
    });

    it('anonymous GET of manifests, blobs and tags is served without a token', async () => {
      const m = await getManifest(anonPub);
      expectStatus(m, 200);
      assert.ok(m.body.equals(pub.manifest), m.describe());
      const b = await anonPub.request('GET', '/v2/<name>/blobs/<digest>', { digest: pub.layer.digest });
      expectStatus(b, 200);
      assert.ok(b.body.equals(pub.layer.content), b.describe());
      const t = await anonPub.request('GET', '/v2/<name>/tags/list');
      expectStatus(t, 200);
      assert.deepEqual(t.json<{ tags?: string[] }>().tags, ['latest'], t.describe());
    });

    it('an anonymous token for pull,push on a public project grants pull only, and pulls', async () => {
      const { token, claims } = await issue([`repository:${pubRepo}:pull,push`]);
      assert.deepEqual(granted(claims, pubRepo), ['pull'], JSON.stringify(claims.access));
      expectStatus(await getManifest(anonPub, bearer(token)), 200);
      expectInsufficientScope(await anonPub.request('POST', '/v2/<name>/blobs/uploads/', { headers: bearer(token) }), `repository:${pubRepo}:pull,push`);
    });

    it('anonymous push and delete are still challenged', async () => {
      expectAnonymousChallenge(await anonPub.request('POST', '/v2/<name>/blobs/uploads/'), `repository:${pubRepo}:pull,push`);
      expectAnonymousChallenge(await anonPub.request('DELETE', '/v2/<name>/manifests/<digest>', { digest: pub.digest }), `repository:${pubRepo}:delete`);
      expectStatus(await getManifest(anonPub, {}, pub.digest), 200);
    });
  });
});

function expect401(res: RegistryResponse): void {
  assert.equal(res.status, 401, `expected 401: ${res.describe()}`);
}
