// Berth's own conformance contract: everything the official suite leaves loose or does not
// look at. Where the official suite accepts alternatives (201 or 202, "Range if present",
// "filtering may be unimplemented"), Berth has decided on one answer and this file pins it:
// exact error codes and envelopes, upload/blob/manifest headers, byte-exact manifests,
// pagination, referrers, deletes, and validation of every name, tag and digest before any
// I/O (never a 5xx).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rawRequest, type OciClient, type RegistryResponse } from './support/client.js';
import { emptyJsonDigest, emptySha256, sha256, sha512 } from './support/digest.js';
import { expectHeader, expectHeaderPresent, expectNot5xx, expectOciError, expectStatus, mediaTypeOf } from './support/expect.js';
import { emptyJSONBlob, makeConfig, mediaTypes, type TestBlob } from './support/fixtures.js';
import {
  mapLimit,
  nextLink,
  ociImageManifest,
  pushArtifact,
  pushImage,
  pushManifest,
  putManifest,
  randomBlob,
  uploadBlob,
  type PushedImage,
} from './support/oci.js';
import { authHeaders, client, registryUrl, repoName } from './support/registry.js';

const octet = { 'content-type': 'application/octet-stream' };

/** rawRequest with the run's credentials: HTTP Basic, which /v2 takes directly. */
function raw(method: string, rawPath: string, opts: { headers?: Record<string, string>; body?: string | Uint8Array } = {}): Promise<RegistryResponse> {
  return rawRequest(registryUrl(), method, rawPath, { ...opts, headers: { ...authHeaders(), ...opts.headers } });
}
const uuidRe = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The Location header, resolved against the registry: same origin, and this exact path and query. */
function expectLocation(res: RegistryResponse, pathAndQuery: string): void {
  const loc = expectHeaderPresent(res, 'location');
  const u = new URL(loc, registryUrl());
  assert.equal(u.origin, new URL(registryUrl()).origin, `Location points elsewhere: ${res.describe()}`);
  assert.equal(u.pathname + u.search, pathAndQuery, `Location: ${res.describe()}`);
}

// Real clients always say which manifest types they take; Berth serves the stored type.
const manifestAccept = [mediaTypes.ociManifest, mediaTypes.ociIndex, mediaTypes.dockerManifest, mediaTypes.dockerManifestList].join(', ');

function getManifest(c: OciClient, reference: string, method = 'GET'): Promise<RegistryResponse> {
  return c.request(method, '/v2/<name>/manifests/<reference>', { reference, headers: { accept: manifestAccept } });
}

async function startUpload(c: OciClient): Promise<RegistryResponse> {
  const res = await c.request('POST', '/v2/<name>/blobs/uploads/');
  expectStatus(res, 202);
  return res;
}

function tagsOf(res: RegistryResponse): string[] {
  const body = res.json<{ tags?: string[] | null }>();
  return body.tags ?? [];
}

/** Byte order of the UTF-8 encoding: what the contract means by lexical order. */
function byteSorted(xs: readonly string[]): string[] {
  return [...xs].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

describe('Berth conformance contract', () => {
  describe('Base API', () => {
    it('GET /v2/ is 200 with Docker-Distribution-API-Version: registry/2.0', async () => {
      const res = await client(repoName('base')).request('GET', '/v2/');
      expectStatus(res, 200);
      expectHeader(res, 'docker-distribution-api-version', 'registry/2.0');
    });

    it('GET /api/v2.0/health is 200 {"status":"healthy","components":[…]}', async () => {
      const res = await client(repoName('base')).request('GET', '/api/v2.0/health');
      expectStatus(res, 200);
      const body = res.json<{ status?: unknown; components?: unknown }>();
      assert.equal(body.status, 'healthy', res.describe());
      assert.ok(Array.isArray(body.components), `components must be an array: ${res.describe()}`);
    });
  });

  describe('Error envelope', () => {
    it('every error entry carries "code", "message" and "detail", with Content-Type application/json', async () => {
      const c = client(repoName('envelope'));
      await pushImage(c, 'latest');
      const cases: Array<Promise<RegistryResponse>> = [
        c.request('GET', '/v2/<name>/blobs/<digest>', { digest: sha256('absent') }), // BLOB_UNKNOWN
        c.request('GET', `/v2/<name>/blobs/uploads/${randomUUID()}`), // BLOB_UPLOAD_UNKNOWN
        c.request('GET', '/v2/<name>/blobs/sha256:abc'), // DIGEST_INVALID
        putManifest(c, 'x', 'blablabla', mediaTypes.ociManifest), // MANIFEST_INVALID
        c.request('GET', '/v2/<name>/manifests/absent'), // MANIFEST_UNKNOWN
        c.request('GET', '/v2/Bad/tags/list'), // NAME_INVALID
        client(repoName('envelope-nothing')).request('GET', '/v2/<name>/tags/list'), // NAME_UNKNOWN
        putManifest(c, '.bad', '{}', mediaTypes.ociManifest), // TAG_INVALID
        c.request('GET', '/v2/<name>/tags/list', { query: { n: '-1' } }), // PAGINATION_NUMBER_INVALID
        c.request('PATCH', '/v2/<name>/manifests/latest'), // UNSUPPORTED
        putManifest(c, 'big', 'x'.repeat(4 * 1024 * 1024 + 1), mediaTypes.ociManifest), // SIZE_INVALID (413)
      ];
      const problems: string[] = [];
      for (const res of await Promise.all(cases)) {
        if (res.status < 400) {
          problems.push(`not an error: ${res.describe()}`);
          continue;
        }
        const errors = res.errors();
        if (!errors || mediaTypeOf(res.header('content-type')) !== 'application/json') {
          problems.push(`no JSON error envelope: ${res.describe()}`);
          continue;
        }
        for (const e of errors) {
          const missing = ['code', 'message', 'detail'].filter((k) => !(k in e));
          if (missing.length > 0) problems.push(`missing ${missing.join(', ')}: ${res.describe()}`);
        }
      }
      assert.deepEqual(problems, [], problems.join('\n'));
    });
  });

  describe('Blob uploads', () => {
    let c: OciClient;
    before(() => {
      c = client(repoName('uploads'));
    });

    it('POST opens a session: 202, Location /v2/<name>/blobs/uploads/<uuid>, Docker-Upload-UUID, Range 0-0, Content-Length 0', async () => {
      const res = await startUpload(c);
      const uuid = expectHeaderPresent(res, 'docker-upload-uuid');
      assert.match(uuid, uuidRe, res.describe());
      expectLocation(res, `/v2/${c.defaultName}/blobs/uploads/${uuid}`);
      expectHeader(res, 'range', '0-0');
      expectHeader(res, 'content-length', '0');
    });

    it('GET on an empty session is 204 with Range 0-0 and Docker-Upload-UUID', async () => {
      const post = await startUpload(c);
      const res = await c.request('GET', post.relativeLocation());
      expectStatus(res, 204);
      expectHeader(res, 'range', '0-0');
      expectHeader(res, 'docker-upload-uuid', post.header('docker-upload-uuid') ?? '<missing>');
    });

    it('PATCH without Content-Range appends; GET reports the offset; PUT with a final chunk completes', async () => {
      const post = await startUpload(c);
      const uuid = post.header('docker-upload-uuid') ?? '';
      const parts = [randomBlob(10).content, randomBlob(5).content, randomBlob(6).content];
      const whole = Buffer.concat(parts);
      const digest = sha256(whole);

      let res = await c.request('PATCH', post.relativeLocation(), { headers: octet, body: parts[0] });
      expectStatus(res, 202);
      expectHeader(res, 'range', '0-9');
      expectHeader(res, 'docker-upload-uuid', uuid);
      expectLocation(res, `/v2/${c.defaultName}/blobs/uploads/${uuid}`);

      res = await c.request('PATCH', res.relativeLocation(), { headers: octet, body: parts[1], chunked: true });
      expectStatus(res, 202);
      expectHeader(res, 'range', '0-14');

      res = await c.request('GET', res.relativeLocation());
      expectStatus(res, 204);
      expectHeader(res, 'range', '0-14');
      expectHeader(res, 'docker-upload-uuid', uuid);

      res = await c.request('PUT', post.relativeLocation(), { query: { digest }, headers: octet, body: parts[2] });
      expectStatus(res, 201);
      expectLocation(res, `/v2/${c.defaultName}/blobs/${digest}`);
      expectHeader(res, 'docker-content-digest', digest);

      const blob = await c.request('GET', '/v2/<name>/blobs/<digest>', { digest });
      expectStatus(blob, 200);
      assert.ok(blob.body.equals(whole), 'blob bytes differ from the uploaded chunks');

      // A completed session is gone.
      expectOciError(await c.request('GET', post.relativeLocation()), 404, 'BLOB_UPLOAD_UNKNOWN');
    });

    it('PATCH with in-order Content-Range is 202 with Location, Range and Docker-Upload-UUID', async () => {
      const post = await startUpload(c);
      const data = randomBlob(20).content;
      let res = await c.request('PATCH', post.relativeLocation(), {
        headers: { ...octet, 'content-range': '0-9' },
        body: data.subarray(0, 10),
      });
      expectStatus(res, 202);
      expectHeader(res, 'range', '0-9');
      res = await c.request('PATCH', res.relativeLocation(), {
        headers: { ...octet, 'content-range': '10-19' },
        body: data.subarray(10),
      });
      expectStatus(res, 202);
      expectHeader(res, 'range', '0-19');
      expectHeaderPresent(res, 'location');
      expectHeader(res, 'docker-upload-uuid', post.header('docker-upload-uuid') ?? '<missing>');
      res = await c.request('PUT', res.relativeLocation(), { query: { digest: sha256(data) } });
      expectStatus(res, 201);
    });

    it('a Content-Range gap or overlap is 416 BLOB_UPLOAD_INVALID with Range 0-<offset-1>, and the session survives', async () => {
      const post = await startUpload(c);
      const data = randomBlob(20).content;
      let res = await c.request('PATCH', post.relativeLocation(), { headers: { ...octet, 'content-range': '0-9' }, body: data.subarray(0, 10) });
      expectStatus(res, 202);

      const gap = await c.request('PATCH', post.relativeLocation(), { headers: { ...octet, 'content-range': '15-19' }, body: data.subarray(15) });
      expectOciError(gap, 416, 'BLOB_UPLOAD_INVALID');
      expectHeader(gap, 'range', '0-9');

      const overlap = await c.request('PATCH', post.relativeLocation(), { headers: { ...octet, 'content-range': '5-14' }, body: data.subarray(5, 15) });
      expectOciError(overlap, 416, 'BLOB_UPLOAD_INVALID');
      expectHeader(overlap, 'range', '0-9');

      res = await c.request('PATCH', post.relativeLocation(), { headers: { ...octet, 'content-range': '10-19' }, body: data.subarray(10) });
      expectStatus(res, 202);
      expectHeader(res, 'range', '0-19');
    });

    it('a malformed Content-Range is 400 BLOB_UPLOAD_INVALID', async () => {
      const post = await startUpload(c);
      const res = await c.request('PATCH', post.relativeLocation(), { headers: { ...octet, 'content-range': 'garbage' }, body: 'abc' });
      expectOciError(res, 400, 'BLOB_UPLOAD_INVALID');
    });

    it('a Content-Range whose length disagrees with the body is 400 SIZE_INVALID', async () => {
      const post = await startUpload(c);
      const res = await c.request('PATCH', post.relativeLocation(), { headers: { ...octet, 'content-range': '0-9' }, body: 'abcde' });
      expectOciError(res, 400, 'SIZE_INVALID');
    });

    it('PUT with a digest that does not match the content is 400 DIGEST_INVALID, and nothing is stored', async () => {
      const post = await startUpload(c);
      const data = randomBlob(32).content;
      const wrong = sha256('not the content');
      const res = await c.request('PUT', post.relativeLocation(), { query: { digest: wrong }, headers: octet, body: data });
      expectOciError(res, 400, 'DIGEST_INVALID');
      expectOciError(await c.request('GET', '/v2/<name>/blobs/<digest>', { digest: wrong }), 404, 'BLOB_UNKNOWN');
      expectOciError(await c.request('GET', '/v2/<name>/blobs/<digest>', { digest: sha256(data) }), 404, 'BLOB_UNKNOWN');
    });

    it('monolithic POST ?digest= is 201 with the blob Location and Docker-Content-Digest', async () => {
      const data = randomBlob(48).content;
      const digest = sha256(data);
      const res = await c.request('POST', '/v2/<name>/blobs/uploads/', { query: { digest }, headers: octet, body: data });
      expectStatus(res, 201);
      expectLocation(res, `/v2/${c.defaultName}/blobs/${digest}`);
      expectHeader(res, 'docker-content-digest', digest);
      const blob = await c.request('GET', '/v2/<name>/blobs/<digest>', { digest });
      expectStatus(blob, 200);
      assert.ok(blob.body.equals(data));
    });

    it('monolithic POST with a mismatching digest is 400 DIGEST_INVALID', async () => {
      const data = randomBlob(48).content;
      const wrong = sha256('something else');
      const res = await c.request('POST', '/v2/<name>/blobs/uploads/', { query: { digest: wrong }, headers: octet, body: data });
      expectOciError(res, 400, 'DIGEST_INVALID');
      expectOciError(await c.request('HEAD', '/v2/<name>/blobs/<digest>', { digest: wrong }), 404, 'BLOB_UNKNOWN');
    });

    it('DELETE of a session is 204; afterwards GET, PATCH, PUT and DELETE are 404 BLOB_UPLOAD_UNKNOWN', async () => {
      const post = await startUpload(c);
      const loc = post.relativeLocation();
      const del = await c.request('DELETE', loc);
      expectStatus(del, 204);
      expectOciError(await c.request('GET', loc), 404, 'BLOB_UPLOAD_UNKNOWN');
      expectOciError(await c.request('PATCH', loc, { headers: octet, body: 'abc' }), 404, 'BLOB_UPLOAD_UNKNOWN');
      expectOciError(await c.request('PUT', loc, { query: { digest: sha256('abc') }, body: 'abc' }), 404, 'BLOB_UPLOAD_UNKNOWN');
      expectOciError(await c.request('DELETE', loc), 404, 'BLOB_UPLOAD_UNKNOWN');
    });

    it('an unknown or malformed upload id is 404 BLOB_UPLOAD_UNKNOWN on every method', async () => {
      const name = c.defaultName;
      const ids = [randomUUID(), 'not-a-uuid', 'ZZZZ', 'x'.repeat(300), '..%2F..%2Fetc', '%2e%2e'];
      for (const id of ids) {
        const path = `/v2/${name}/blobs/uploads/${id}`;
        expectOciError(await raw('GET', path), 404, 'BLOB_UPLOAD_UNKNOWN');
        expectOciError(await raw('PATCH', path, { headers: octet, body: 'abc' }), 404, 'BLOB_UPLOAD_UNKNOWN');
        expectOciError(await raw('PUT', `${path}?digest=${sha256('abc')}`, { body: 'abc' }), 404, 'BLOB_UPLOAD_UNKNOWN');
        expectOciError(await raw('DELETE', path), 404, 'BLOB_UPLOAD_UNKNOWN');
      }
    });

    it("a session is bound to its repository: another repository's path to it is 404 BLOB_UPLOAD_UNKNOWN", async () => {
      const post = await startUpload(c);
      const uuid = post.header('docker-upload-uuid') ?? '';
      const other = client(repoName('uploads-other'));
      const res = await other.request('GET', `/v2/<name>/blobs/uploads/${uuid}`);
      expectOciError(res, 404, 'BLOB_UPLOAD_UNKNOWN');
    });

    it('zero-byte blobs upload monolithically and through a session, and read back empty', async () => {
      let res = await c.request('POST', '/v2/<name>/blobs/uploads/', { query: { digest: emptySha256 }, headers: octet, body: new Uint8Array(0) });
      expectStatus(res, 201);
      expectHeader(res, 'docker-content-digest', emptySha256);

      const other = client(repoName('uploads-empty'));
      const post = await startUpload(other);
      res = await other.request('PUT', post.relativeLocation(), { query: { digest: emptySha256 } });
      expectStatus(res, 201);
      expectLocation(res, `/v2/${other.defaultName}/blobs/${emptySha256}`);

      for (const cl of [c, other]) {
        const blob = await cl.request('GET', '/v2/<name>/blobs/<digest>', { digest: emptySha256 });
        expectStatus(blob, 200);
        expectHeader(blob, 'content-length', '0');
        expectHeader(blob, 'docker-content-digest', emptySha256);
        assert.equal(blob.body.length, 0);
      }
    });

    it('sha512 digests are accepted: a sha512-addressed blob uploads and reads back', async () => {
      const data = randomBlob(40).content;
      const digest = sha512(data);
      const res = await c.request('POST', '/v2/<name>/blobs/uploads/', { query: { digest }, headers: octet, body: data });
      expectStatus(res, 201);
      expectHeader(res, 'docker-content-digest', digest);
      const blob = await c.request('GET', '/v2/<name>/blobs/<digest>', { digest });
      expectStatus(blob, 200);
      expectHeader(blob, 'docker-content-digest', digest);
      assert.ok(blob.body.equals(data));
    });
  });

  describe('Cross-repository mount and repository scoping', () => {
    let source: OciClient;
    let blob: TestBlob;
    before(async () => {
      source = client(repoName('mount-source'));
      blob = randomBlob(64);
      await uploadBlob(source, blob.content);
    });

    it('POST ?mount=&from= a repository holding the blob is 201 with the blob Location', async () => {
      const target = client(repoName('mount-target'));
      const res = await target.request('POST', '/v2/<name>/blobs/uploads/', { query: { mount: blob.digest, from: source.defaultName } });
      expectStatus(res, 201);
      expectLocation(res, `/v2/${target.defaultName}/blobs/${blob.digest}`);
      const got = await target.request('GET', '/v2/<name>/blobs/<digest>', { digest: blob.digest });
      expectStatus(got, 200);
      assert.ok(got.body.equals(blob.content));
    });

    it('mounting from a repository that lacks the blob (though another has it) is 202, a plain session', async () => {
      const bystander = client(repoName('mount-bystander'));
      await uploadBlob(bystander, randomBlob(8).content); // exists, but without our blob
      const target = client(repoName('mount-target-2'));
      // Give the target content of its own: a repository holding nothing is NAME_UNKNOWN,
      // and the point here is BLOB_UNKNOWN for a blob the mount must not have granted.
      await uploadBlob(target, randomBlob(8).content);
      const res = await target.request('POST', '/v2/<name>/blobs/uploads/', { query: { mount: blob.digest, from: bystander.defaultName } });
      expectStatus(res, 202);
      assert.ok(res.relativeLocation().startsWith(`/v2/${target.defaultName}/blobs/uploads/`), res.describe());
      expectOciError(await target.request('GET', '/v2/<name>/blobs/<digest>', { digest: blob.digest }), 404, 'BLOB_UNKNOWN');
    });

    it('mounting from a repository that does not exist is 202', async () => {
      const target = client(repoName('mount-target-3'));
      const res = await target.request('POST', '/v2/<name>/blobs/uploads/', { query: { mount: blob.digest, from: repoName('never-existed') } });
      expectStatus(res, 202);
    });

    it('a digest alone never grants access: GET/HEAD through a repository that never received it is 404 BLOB_UNKNOWN', async () => {
      const stranger = client(repoName('stranger'));
      await uploadBlob(stranger, randomBlob(8).content); // a real repository, just not holding this blob
      expectOciError(await stranger.request('GET', '/v2/<name>/blobs/<digest>', { digest: blob.digest }), 404, 'BLOB_UNKNOWN');
      expectOciError(await stranger.request('HEAD', '/v2/<name>/blobs/<digest>', { digest: blob.digest }), 404, 'BLOB_UNKNOWN');
    });

    it('an invalid from name never mounts (400 NAME_INVALID, or a plain 202 session)', async () => {
      const target = client(repoName('mount-target-4'));
      const res = await raw('POST', `/v2/${target.defaultName}/blobs/uploads/?mount=${blob.digest}&from=../../etc`);
      if (res.status === 400) expectOciError(res, 400, 'NAME_INVALID');
      else expectStatus(res, 202);
    });
  });

  describe('Blob reads and deletes', () => {
    let c: OciClient;
    let blob: TestBlob;
    before(async () => {
      c = client(repoName('blobs'));
      blob = randomBlob(100);
      await uploadBlob(c, blob.content);
    });

    const get = (headers: Record<string, string> = {}, method = 'GET') => c.request(method, '/v2/<name>/blobs/<digest>', { digest: blob.digest, headers });

    it('GET is 200 with the bytes, exact Content-Length, Docker-Content-Digest and Accept-Ranges: bytes', async () => {
      const res = await get();
      expectStatus(res, 200);
      expectHeader(res, 'content-length', '100');
      expectHeader(res, 'docker-content-digest', blob.digest);
      expectHeader(res, 'accept-ranges', 'bytes');
      assert.ok(res.body.equals(blob.content));
    });

    it('HEAD is 200 with the same headers and no body', async () => {
      const res = await get({}, 'HEAD');
      expectStatus(res, 200);
      expectHeader(res, 'content-length', '100');
      expectHeader(res, 'docker-content-digest', blob.digest);
      expectHeader(res, 'accept-ranges', 'bytes');
      assert.equal(res.body.length, 0);
    });

    const ranges: Array<[string, number, number]> = [
      ['bytes=10-19', 10, 19],
      ['bytes=0-0', 0, 0],
      ['bytes=90-', 90, 99],
      ['bytes=-5', 95, 99],
      ['bytes=95-200', 95, 99], // RFC 9110: a last-pos past the end is clamped, still satisfiable
    ];
    for (const [range, first, last] of ranges) {
      it(`Range: ${range} is 206 with Content-Range bytes ${first}-${last}/100`, async () => {
        const res = await get({ range });
        expectStatus(res, 206);
        expectHeader(res, 'content-range', `bytes ${first}-${last}/100`);
        expectHeader(res, 'content-length', String(last - first + 1));
        assert.ok(res.body.equals(blob.content.subarray(first, last + 1)), res.describe());
      });
    }

    for (const range of ['bytes=100-', 'bytes=200-300']) {
      it(`Range: ${range} is 416 with Content-Range bytes */100`, async () => {
        const res = await get({ range });
        expectStatus(res, 416);
        expectHeader(res, 'content-range', 'bytes */100');
      });
    }

    it('DELETE is 202; then GET and HEAD are 404 BLOB_UNKNOWN, and a second DELETE is 404', async () => {
      const victim = randomBlob(20);
      await uploadBlob(c, victim.content);
      const del = await c.request('DELETE', '/v2/<name>/blobs/<digest>', { digest: victim.digest });
      expectStatus(del, 202);
      expectOciError(await c.request('GET', '/v2/<name>/blobs/<digest>', { digest: victim.digest }), 404, 'BLOB_UNKNOWN');
      expectOciError(await c.request('HEAD', '/v2/<name>/blobs/<digest>', { digest: victim.digest }), 404, 'BLOB_UNKNOWN');
      expectOciError(await c.request('DELETE', '/v2/<name>/blobs/<digest>', { digest: victim.digest }), 404, 'BLOB_UNKNOWN');
    });
  });

  describe('Manifests', () => {
    let c: OciClient;
    let image: PushedImage;
    before(async () => {
      c = client(repoName('manifests'));
      image = await pushImage(c, 'base');
    });

    async function expectRoundTrip(ref: string, bytes: Buffer, mediaType: string): Promise<void> {
      const digest = sha256(bytes);
      for (const reference of [ref, digest]) {
        const res = await c.request('GET', '/v2/<name>/manifests/<reference>', { reference, headers: { accept: mediaType } });
        expectStatus(res, 200);
        assert.ok(res.body.equals(bytes), `GET ${reference} must return exactly the pushed bytes: ${res.describe()}`);
        expectHeader(res, 'content-type', mediaType);
        expectHeader(res, 'content-length', String(bytes.length));
        expectHeader(res, 'docker-content-digest', digest);
        const head = await c.request('HEAD', '/v2/<name>/manifests/<reference>', { reference, headers: { accept: mediaType } });
        expectStatus(head, 200);
        expectHeader(head, 'content-type', mediaType);
        expectHeader(head, 'content-length', String(bytes.length));
        expectHeader(head, 'docker-content-digest', digest);
        assert.equal(head.body.length, 0);
      }
    }

    async function expectPushed(ref: string, bytes: Buffer, mediaType: string, subject?: string): Promise<void> {
      const digest = sha256(bytes);
      const res = await putManifest(c, ref, bytes, mediaType);
      expectStatus(res, 201);
      expectLocation(res, `/v2/${c.defaultName}/manifests/${digest}`);
      expectHeader(res, 'docker-content-digest', digest);
      if (subject) expectHeader(res, 'oci-subject', subject);
      else assert.equal(res.header('oci-subject'), null, `no subject, so no OCI-Subject: ${res.describe()}`);
      await expectRoundTrip(ref, bytes, mediaType);
    }

    it('an OCI image manifest: PUT by tag is 201 and GET/HEAD by tag and digest return it exactly', async () => {
      const config = makeConfig();
      const layer = randomBlob();
      await uploadBlob(c, config.content);
      await uploadBlob(c, layer.content);
      await expectPushed('oci-image', ociImageManifest(config, layer), mediaTypes.ociManifest);
    });

    it('an OCI image manifest: PUT by digest is 201 as well', async () => {
      const config = makeConfig();
      await uploadBlob(c, config.content);
      const bytes = ociImageManifest(config, image.layer);
      await expectPushed(sha256(bytes), bytes, mediaTypes.ociManifest);
    });

    it('an OCI image manifest with no layers is accepted', async () => {
      const bytes = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: mediaTypes.ociManifest,
          config: { mediaType: mediaTypes.ociConfig, digest: image.config.digest, size: image.config.content.length },
          layers: [],
        }),
      );
      await expectPushed('no-layers', bytes, mediaTypes.ociManifest);
    });

    it('an OCI image index', async () => {
      const bytes = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: mediaTypes.ociIndex,
          manifests: [
            { mediaType: mediaTypes.ociManifest, digest: image.digest, size: image.manifest.length, platform: { architecture: 'amd64', os: 'linux' } },
          ],
        }),
      );
      await expectPushed('oci-index', bytes, mediaTypes.ociIndex);
      await expectPushed(sha256(bytes), bytes, mediaTypes.ociIndex);
    });

    let dockerManifest: Buffer;
    it('a Docker schema 2 manifest', async () => {
      const config = makeConfig();
      const layer = randomBlob();
      await uploadBlob(c, config.content);
      await uploadBlob(c, layer.content);
      dockerManifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: mediaTypes.dockerManifest,
          config: { mediaType: mediaTypes.dockerConfig, size: config.content.length, digest: config.digest },
          layers: [{ mediaType: mediaTypes.dockerLayer, size: layer.content.length, digest: layer.digest }],
        }),
      );
      await expectPushed('docker-v2', dockerManifest, mediaTypes.dockerManifest);
    });

    it('a Docker manifest list', async () => {
      assert.ok(dockerManifest, 'needs the Docker schema 2 manifest pushed above');
      const bytes = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: mediaTypes.dockerManifestList,
          manifests: [
            {
              mediaType: mediaTypes.dockerManifest,
              size: dockerManifest.length,
              digest: sha256(dockerManifest),
              platform: { architecture: 'amd64', os: 'linux' },
            },
          ],
        }),
      );
      await expectPushed('docker-list', bytes, mediaTypes.dockerManifestList);
    });

    it('an artifact with artifactType, the empty config and a subject answers OCI-Subject', async () => {
      await uploadBlob(c, emptyJSONBlob);
      const layer = randomBlob(16);
      await uploadBlob(c, layer.content);
      const bytes = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: mediaTypes.ociManifest,
          artifactType: 'application/vnd.berth.test.sbom',
          config: { mediaType: mediaTypes.ociEmpty, digest: emptyJsonDigest, size: 2, data: 'e30=' },
          layers: [{ mediaType: 'application/spdx+json', digest: layer.digest, size: layer.content.length }],
          subject: { mediaType: mediaTypes.ociManifest, digest: image.digest, size: image.manifest.length },
        }),
      );
      await expectPushed('artifact', bytes, mediaTypes.ociManifest, image.digest);
    });

    it('pretty-printed JSON with odd whitespace and non-ASCII round-trips byte-exact', async () => {
      const text =
        '{\r\n   "schemaVersion" :2 ,\n\t"mediaType":"application/vnd.oci.image.manifest.v1+json",\n' +
        `  "config"  : {"mediaType": "${mediaTypes.ociConfig}",   "digest": "${image.config.digest}", "size": ${image.config.content.length}},\n` +
        `  "layers": [\n\n    {"mediaType":"${mediaTypes.ociLayerTarGzip}","digest":"${image.layer.digest}","size":${image.layer.content.length}}  ] ,\n` +
        '  "annotations": { "note": "café — ünïcødé ☃", "escaped": "\\u00e9\\n\\/" }\n}\n\n  \t';
      const bytes = Buffer.from(text, 'utf8');
      await expectPushed('pretty', bytes, mediaTypes.ociManifest);
    });

    it('re-tagging moves the tag; the old manifest stays reachable by digest', async () => {
      const first = await pushImage(c, 'moving');
      const second = await pushImage(c, 'moving');
      const res = await getManifest(c, 'moving');
      expectStatus(res, 200);
      expectHeader(res, 'docker-content-digest', second.digest);
      assert.ok(res.body.equals(second.manifest));
      const old = await getManifest(c, first.digest);
      expectStatus(old, 200);
      assert.ok(old.body.equals(first.manifest));
    });

    it('PUT by a digest that is not the content digest is 400 DIGEST_INVALID', async () => {
      const bytes = ociImageManifest(image.config, image.layer, { annotations: { x: 'mismatch' } });
      const res = await putManifest(c, sha256('other content'), bytes, mediaTypes.ociManifest);
      expectOciError(res, 400, 'DIGEST_INVALID');
    });

    it('GET, HEAD and DELETE of an unknown manifest (tag or digest) are 404 MANIFEST_UNKNOWN', async () => {
      for (const reference of ['no-such-tag', sha256('no such manifest')]) {
        for (const method of ['GET', 'HEAD', 'DELETE']) {
          expectOciError(await getManifest(c, reference, method), 404, 'MANIFEST_UNKNOWN');
        }
      }
    });

    describe('rejected manifests', () => {
      it('a config or layer that is not in the repository is 400 MANIFEST_BLOB_UNKNOWN', async () => {
        const missing = randomBlob(10);
        let res = await putManifest(c, 'missing-layer', ociImageManifest(image.config, missing), mediaTypes.ociManifest);
        expectOciError(res, 400, 'MANIFEST_BLOB_UNKNOWN');
        res = await putManifest(c, 'missing-config', ociImageManifest(makeConfig(), image.layer), mediaTypes.ociManifest);
        expectOciError(res, 400, 'MANIFEST_BLOB_UNKNOWN');
      });

      it('blobs that exist only in another repository are still MANIFEST_BLOB_UNKNOWN', async () => {
        const elsewhere = client(repoName('manifests-elsewhere'));
        const config = makeConfig();
        const layer = randomBlob();
        await uploadBlob(elsewhere, config.content);
        await uploadBlob(elsewhere, layer.content);
        const res = await putManifest(c, 'foreign-blobs', ociImageManifest(config, layer), mediaTypes.ociManifest);
        expectOciError(res, 400, 'MANIFEST_BLOB_UNKNOWN');
      });

      it('an index whose child manifest is not in the repository is 400 MANIFEST_UNKNOWN', async () => {
        const absent = sha256('absent child');
        for (const [mediaType, childType] of [
          [mediaTypes.ociIndex, mediaTypes.ociManifest],
          [mediaTypes.dockerManifestList, mediaTypes.dockerManifest],
        ] as const) {
          const bytes = JSON.stringify({ schemaVersion: 2, mediaType, manifests: [{ mediaType: childType, digest: absent, size: 123 }] });
          const res = await putManifest(c, 'bad-index', bytes, mediaType);
          expectOciError(res, 400, 'MANIFEST_UNKNOWN');
        }
      });

      const invalid: Array<[string, string, string]> = [
        ['not JSON', 'blablabla', mediaTypes.ociManifest],
        ['an empty body', '', mediaTypes.ociManifest],
        ['an empty object', '{}', mediaTypes.ociManifest],
        ['a JSON array', '[]', mediaTypes.ociManifest],
        ['a manifest without config', JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociManifest, layers: [] }), mediaTypes.ociManifest],
        ['schemaVersion 3', JSON.stringify({ schemaVersion: 3, mediaType: mediaTypes.ociManifest, config: {}, layers: [] }), mediaTypes.ociManifest],
        [
          'layers that are not an array',
          JSON.stringify({
            schemaVersion: 2,
            mediaType: mediaTypes.ociManifest,
            config: { mediaType: mediaTypes.ociConfig, digest: emptyJsonDigest, size: 2 },
            layers: {},
          }),
          mediaTypes.ociManifest,
        ],
        [
          'a descriptor size that is a string',
          JSON.stringify({
            schemaVersion: 2,
            mediaType: mediaTypes.ociManifest,
            config: { mediaType: mediaTypes.ociConfig, digest: emptyJsonDigest, size: '2' },
            layers: [],
          }),
          mediaTypes.ociManifest,
        ],
        [
          'an index whose manifests is not an array',
          JSON.stringify({ schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: 'nope' }),
          mediaTypes.ociIndex,
        ],
      ];
      for (const [label, body, mediaType] of invalid) {
        it(`${label} is 400 MANIFEST_INVALID`, async () => {
          expectOciError(await putManifest(c, 'invalid', body, mediaType), 400, 'MANIFEST_INVALID');
        });
      }

      for (const mediaType of [mediaTypes.dockerSchema1Signed, mediaTypes.dockerSchema1]) {
        it(`Docker schema 1 (${mediaType}) is refused: 400 MANIFEST_INVALID mentioning "schema 1"`, async () => {
          const body = JSON.stringify({
            schemaVersion: 1,
            name: c.defaultName,
            tag: 'v1',
            architecture: 'amd64',
            fsLayers: [{ blobSum: image.layer.digest }],
            history: [{ v1Compatibility: '{"id":"0000000000000000000000000000000000000000000000000000000000000000"}' }],
            signatures: [{ header: { alg: 'ES256' }, signature: 'c2lnbmF0dXJl', protected: 'e30' }],
          });
          const res = await putManifest(c, 'schema1', body, mediaType);
          expectOciError(res, 400, 'MANIFEST_INVALID');
          const msg = String(res.errors()?.[0]?.message ?? '');
          assert.match(msg, /schema 1/i, res.describe());
        });
      }

      it('a manifest body of exactly 4 MiB is accepted; 4 MiB + 1 byte is 413 SIZE_INVALID (also when streamed)', async () => {
        const limit = 4 * 1024 * 1024;
        const ofSize = (size: number): Buffer => {
          const base = ociImageManifest(image.config, image.layer, { annotations: { pad: '' } });
          return ociImageManifest(image.config, image.layer, { annotations: { pad: 'x'.repeat(size - base.length) } });
        };
        const exact = ofSize(limit);
        assert.equal(exact.length, limit);
        const ok = await putManifest(c, 'four-mib', exact, mediaTypes.ociManifest);
        expectStatus(ok, 201);

        const over = ofSize(limit + 1);
        expectOciError(await putManifest(c, 'too-big', over, mediaTypes.ociManifest), 413, 'SIZE_INVALID');
        const streamed = await c.request('PUT', '/v2/<name>/manifests/<reference>', {
          reference: 'too-big-streamed',
          headers: { 'content-type': mediaTypes.ociManifest },
          body: over,
          chunked: true,
        });
        expectOciError(streamed, 413, 'SIZE_INVALID');
      });
    });
  });

  describe('Tags list', () => {
    let c: OciClient;
    let image: PushedImage;
    // Chosen to straddle the byte order: '-' < '.' < digits < upper case < '_' < lower case.
    const tags = ['b', 'a', 'B', 'A', '_u', '9', '0.1', '0-1', 'a_b', 'a.b', 'a-b', 'aa', 'Z', 'z'];
    const sorted = byteSorted(tags);

    before(async () => {
      c = client(repoName('tags'));
      image = await pushImage(c);
      for (const tag of tags) await pushManifest(c, tag, image.manifest, mediaTypes.ociManifest);
    });

    it('a repository that holds nothing is 404 NAME_UNKNOWN', async () => {
      const res = await client(repoName('tags-nothing')).request('GET', '/v2/<name>/tags/list');
      expectOciError(res, 404, 'NAME_UNKNOWN');
    });

    it('lists {"name","tags"} in byte order', async () => {
      const res = await c.request('GET', '/v2/<name>/tags/list');
      expectStatus(res, 200);
      const body = res.json<{ name?: string; tags?: string[] }>();
      assert.equal(body.name, c.defaultName, res.describe());
      assert.deepEqual(body.tags, sorted, res.describe());
      assert.equal(res.header('link'), null, `nothing remains, so no Link: ${res.describe()}`);
    });

    it('pages with n, giving Link: </v2/<name>/tags/list?n=N&last=X>; rel="next" exactly while more remain', async () => {
      const seen: string[] = [];
      let res = await c.request('GET', '/v2/<name>/tags/list', { query: { n: '4' } });
      for (let page = 0; ; page++) {
        assert.ok(page < 10, 'pagination does not terminate');
        expectStatus(res, 200);
        const pageTags = tagsOf(res);
        assert.ok(pageTags.length <= 4, res.describe());
        seen.push(...pageTags);
        const next = nextLink(res);
        if (seen.length < sorted.length) {
          assert.ok(next, `more remain, so a Link is due: ${res.describe()}`);
          assert.equal(next.pathname, `/v2/${c.defaultName}/tags/list`, res.describe());
          assert.equal(next.searchParams.get('n'), '4', res.describe());
          assert.equal(next.searchParams.get('last'), pageTags[pageTags.length - 1], res.describe());
          res = await c.request('GET', next.pathname + next.search);
        } else {
          assert.equal(next, undefined, `nothing remains, so no Link: ${res.describe()}`);
          break;
        }
      }
      assert.deepEqual(seen, sorted);
    });

    it('n equal to the number of tags gives them all and no Link', async () => {
      const res = await c.request('GET', '/v2/<name>/tags/list', { query: { n: String(tags.length) } });
      expectStatus(res, 200);
      assert.deepEqual(tagsOf(res), sorted);
      assert.equal(res.header('link'), null, res.describe());
    });

    it('last alone starts after the given tag', async () => {
      const res = await c.request('GET', '/v2/<name>/tags/list', { query: { last: 'Z' } });
      expectStatus(res, 200);
      assert.deepEqual(
        tagsOf(res),
        sorted.filter((t) => t > 'Z'),
      );
    });

    it('n=0 is 200 with no tags', async () => {
      const res = await c.request('GET', '/v2/<name>/tags/list', { query: { n: '0' } });
      expectStatus(res, 200);
      assert.equal(tagsOf(res).length, 0, res.describe());
    });

    for (const n of ['-1', 'abc', '1.5', '1e3', '0x10', ' 5']) {
      it(`n=${JSON.stringify(n)} is 400 PAGINATION_NUMBER_INVALID`, async () => {
        const res = await c.request('GET', '/v2/<name>/tags/list', { query: { n } });
        expectOciError(res, 400, 'PAGINATION_NUMBER_INVALID');
      });
    }

    it('n is clamped to 1000: with 1001 tags, n=5000 returns at most 1000 and a Link', async function () {
      this.timeout(120_000);
      const many = client(repoName('tags-many'));
      const img = await pushImage(many);
      const names = Array.from({ length: 1001 }, (_, i) => `t${String(i).padStart(4, '0')}`);
      await mapLimit(names, 8, (tag) => pushManifest(many, tag, img.manifest, mediaTypes.ociManifest));
      const res = await many.request('GET', '/v2/<name>/tags/list', { query: { n: '5000' } });
      expectStatus(res, 200);
      const got = tagsOf(res);
      assert.ok(got.length > 0 && got.length <= 1000, `got ${got.length} tags`);
      assert.deepEqual(got, names.slice(0, got.length));
      assert.ok(nextLink(res), `1001 tags and at most 1000 returned, so a Link is due: ${res.describe().slice(0, 300)}`);
    });
  });

  describe('Catalog', () => {
    const repos = ['a', 'b', 'c'].map((x) => repoName(`catalog/${x}`));
    before(async () => {
      for (const r of repos) await pushImage(client(r), 'latest');
    });

    it('lists {"repositories"} in byte order, across Link pages, including ours', async () => {
      const c = client(repos[0]);
      const all: string[] = [];
      let res = await c.request('GET', '/v2/_catalog', { query: { n: '1000' } });
      for (let page = 0; ; page++) {
        assert.ok(page < 100, 'catalog pagination does not terminate');
        expectStatus(res, 200);
        const body = res.json<{ repositories?: string[] }>();
        assert.ok(Array.isArray(body.repositories), res.describe());
        all.push(...body.repositories);
        const next = nextLink(res);
        if (!next) break;
        assert.equal(next.pathname, '/v2/_catalog', res.describe());
        res = await c.request('GET', next.pathname + next.search);
      }
      assert.deepEqual(all, byteSorted(all), 'catalog is not in byte order');
      assert.equal(new Set(all).size, all.length, 'catalog repeats a repository');
      for (const r of repos) assert.ok(all.includes(r), `${r} missing from the catalog`);
    });

    it('n and last page it, with Link: </v2/_catalog?n=N&last=X>; rel="next"', async () => {
      const c = client(repos[0]);
      const res = await c.request('GET', '/v2/_catalog', { query: { n: '1', last: repos[0] } });
      expectStatus(res, 200);
      assert.deepEqual(res.json<{ repositories?: string[] }>().repositories, [repos[1]], res.describe());
      const next = nextLink(res);
      assert.ok(next, `more remain (${repos[2]}), so a Link is due: ${res.describe()}`);
      assert.equal(next.pathname, '/v2/_catalog');
      assert.equal(next.searchParams.get('n'), '1');
      assert.equal(next.searchParams.get('last'), repos[1]);
    });

    for (const n of ['-1', 'abc', '2.5']) {
      it(`n=${JSON.stringify(n)} is 400 PAGINATION_NUMBER_INVALID`, async () => {
        const res = await client(repos[0]).request('GET', '/v2/_catalog', { query: { n } });
        expectOciError(res, 400, 'PAGINATION_NUMBER_INVALID');
      });
    }
  });

  describe('Referrers', () => {
    let c: OciClient;
    let subject: PushedImage;
    let subjectDesc: { digest: string; size: number; mediaType: string };
    let sig: { digest: string; manifest: Buffer };
    let cfgTyped: { digest: string; manifest: Buffer };
    let indexReferrer: Buffer;
    const indexType = mediaTypes.ociIndex;

    interface Desc {
      mediaType?: string;
      digest: string;
      size?: number;
      artifactType?: string;
      annotations?: Record<string, string>;
    }
    const referrersOf = async (cl: OciClient, digest: string, query?: Record<string, string>) => {
      const res = await cl.request('GET', '/v2/<name>/referrers/<digest>', { digest, query });
      expectStatus(res, 200);
      assert.equal(res.header('content-type'), indexType, res.describe());
      const body = res.json<{ schemaVersion?: number; mediaType?: string; manifests?: Desc[] | null }>();
      assert.equal(body.schemaVersion, 2, res.describe());
      if (body.mediaType !== undefined) assert.equal(body.mediaType, indexType, res.describe());
      assert.ok(Array.isArray(body.manifests), `manifests must be a list: ${res.describe()}`);
      return { res, manifests: body.manifests };
    };
    const byDigest = (ms: Desc[]) => new Map(ms.map((m) => [m.digest, m]));

    before(async () => {
      c = client(repoName('referrers'));
      subject = await pushImage(c, 'subject');
      subjectDesc = { digest: subject.digest, size: subject.manifest.length, mediaType: mediaTypes.ociManifest };
      sig = await pushArtifact(c, { artifactType: 'application/vnd.berth.signature', subject: subjectDesc, annotations: { 'org.example.k': 'v1' } });
      cfgTyped = await pushArtifact(c, { configMediaType: 'application/vnd.berth.cfgtype', subject: subjectDesc });
      indexReferrer = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: mediaTypes.ociIndex,
          artifactType: 'application/vnd.berth.bundle',
          manifests: [subjectDesc],
          subject: subjectDesc,
        }),
      );
      await pushManifest(c, sha256(indexReferrer), indexReferrer, mediaTypes.ociIndex);
    });

    it('lists every referrer as a descriptor with mediaType, digest, size, artifactType and annotations', async () => {
      const { res, manifests } = await referrersOf(c, subject.digest);
      const got = byDigest(manifests);
      assert.equal(manifests.length, 3, res.describe());
      assert.deepEqual(got.get(sig.digest), {
        mediaType: mediaTypes.ociManifest,
        digest: sig.digest,
        size: sig.manifest.length,
        artifactType: 'application/vnd.berth.signature',
        annotations: { 'org.example.k': 'v1' },
      });
      const cfg = got.get(cfgTyped.digest);
      assert.ok(cfg, res.describe());
      // No artifactType field, so the config's media type stands in for it.
      assert.equal(cfg.artifactType, 'application/vnd.berth.cfgtype', res.describe());
      assert.equal(cfg.mediaType, mediaTypes.ociManifest);
      assert.equal(cfg.size, cfgTyped.manifest.length);
      assert.equal(Object.keys(cfg.annotations ?? {}).length, 0, res.describe());
      const idx = got.get(sha256(indexReferrer));
      assert.ok(idx, res.describe());
      assert.equal(idx.mediaType, mediaTypes.ociIndex);
      assert.equal(idx.artifactType, 'application/vnd.berth.bundle');
      assert.equal(idx.size, indexReferrer.length);
    });

    it('?artifactType= filters and answers OCI-Filters-Applied: artifactType', async () => {
      const { res, manifests } = await referrersOf(c, subject.digest, { artifactType: 'application/vnd.berth.cfgtype' });
      expectHeader(res, 'oci-filters-applied', 'artifactType');
      assert.deepEqual(
        manifests.map((m) => m.digest),
        [cfgTyped.digest],
        res.describe(),
      );
    });

    it('a filter that matches nothing gives an empty list, still with OCI-Filters-Applied', async () => {
      const { res, manifests } = await referrersOf(c, subject.digest, { artifactType: 'application/vnd.berth.none' });
      expectHeader(res, 'oci-filters-applied', 'artifactType');
      assert.equal(manifests.length, 0, res.describe());
    });

    it('an unknown subject is 200 with an empty manifests list', async () => {
      const { res, manifests } = await referrersOf(c, sha256('nobody refers to this'));
      assert.equal(manifests.length, 0, res.describe());
    });

    it('is scoped to the repository: a referrer in another repository is not listed here, and vice versa', async () => {
      const other = client(repoName('referrers-other'));
      const foreign = await pushArtifact(other, { artifactType: 'application/vnd.berth.signature', subject: subjectDesc });
      const here = await referrersOf(c, subject.digest);
      assert.ok(!here.manifests.some((m) => m.digest === foreign.digest), here.res.describe());
      const there = await referrersOf(other, subject.digest);
      assert.deepEqual(
        there.manifests.map((m) => m.digest),
        [foreign.digest],
        there.res.describe(),
      );
    });

    it('a deleted referrer drops out of the list', async () => {
      const extra = await pushArtifact(c, { artifactType: 'application/vnd.berth.ephemeral', subject: subjectDesc });
      let { manifests } = await referrersOf(c, subject.digest);
      assert.ok(manifests.some((m) => m.digest === extra.digest));
      const del = await c.request('DELETE', '/v2/<name>/manifests/<digest>', { digest: extra.digest });
      expectStatus(del, 202);
      ({ manifests } = await referrersOf(c, subject.digest));
      assert.ok(!manifests.some((m) => m.digest === extra.digest), 'deleted referrer still listed');
    });
  });

  describe('Manifest deletes', () => {
    let c: OciClient;
    before(async () => {
      c = client(repoName('deletes'));
      await pushImage(c, 'keep'); // so the repository stays non-empty throughout
    });

    it('DELETE by digest is 202; the manifest is 404 MANIFEST_UNKNOWN and its tags are gone', async () => {
      const img = await pushImage(c, 'd1');
      await pushManifest(c, 'd2', img.manifest, mediaTypes.ociManifest);
      const del = await c.request('DELETE', '/v2/<name>/manifests/<digest>', { digest: img.digest });
      expectStatus(del, 202);
      expectOciError(await getManifest(c, img.digest), 404, 'MANIFEST_UNKNOWN');
      for (const tag of ['d1', 'd2']) {
        expectOciError(await getManifest(c, tag), 404, 'MANIFEST_UNKNOWN');
      }
      const list = await c.request('GET', '/v2/<name>/tags/list');
      expectStatus(list, 200);
      assert.deepEqual(tagsOf(list), ['keep'], list.describe());
    });

    it('DELETE by tag is 202 and removes only that tag: the manifest and its other tags remain', async () => {
      const img = await pushImage(c, 't1');
      await pushManifest(c, 't2', img.manifest, mediaTypes.ociManifest);
      const del = await c.request('DELETE', '/v2/<name>/manifests/<reference>', { reference: 't1' });
      expectStatus(del, 202);
      expectOciError(await getManifest(c, 't1'), 404, 'MANIFEST_UNKNOWN');
      const byDigest = await getManifest(c, img.digest);
      expectStatus(byDigest, 200);
      assert.ok(byDigest.body.equals(img.manifest));
      expectStatus(await getManifest(c, 't2'), 200);
      const list = await c.request('GET', '/v2/<name>/tags/list');
      assert.deepEqual(tagsOf(list), ['keep', 't2'], list.describe());
    });
  });

  describe('Names, tags and digests are validated before any I/O (never a 5xx)', () => {
    let c: OciClient;
    let image: PushedImage;
    before(async () => {
      c = client(repoName('validation'));
      image = await pushImage(c, 'latest');
    });

    // Each as it appears in the request path, sent verbatim.
    const badNames = [
      'Upper/case',
      'a//b',
      '/leading-slash',
      'trailing-slash/',
      '-dash-first',
      'a..b',
      '../../etc',
      'a/..',
      'a/../b',
      '%2e%2e',
      '%2e%2e/%2e%2e/etc',
      'a/%2E%2E/b',
      'sp%20ace',
      'x'.repeat(256),
      `${'a/'.repeat(127)}bb`, // 256 characters of valid components
    ];

    for (const name of badNames) {
      it(`repository name ${JSON.stringify(name.length > 40 ? `${name.slice(0, 20)}…(${name.length})` : name)} is 400 NAME_INVALID on every route`, async () => {
        const reqs: Array<[string, string, string?]> = [
          ['GET', `/v2/${name}/tags/list`],
          ['GET', `/v2/${name}/manifests/latest`],
          ['HEAD', `/v2/${name}/manifests/latest`],
          ['PUT', `/v2/${name}/manifests/latest`, image.manifest.toString()],
          ['DELETE', `/v2/${name}/manifests/${image.digest}`],
          ['GET', `/v2/${name}/blobs/${image.layer.digest}`],
          ['DELETE', `/v2/${name}/blobs/${image.layer.digest}`],
          ['POST', `/v2/${name}/blobs/uploads/`],
          ['GET', `/v2/${name}/referrers/${image.digest}`],
        ];
        for (const [method, path, body] of reqs) {
          const res = await raw(method, path, body === undefined ? {} : { body, headers: { 'content-type': mediaTypes.ociManifest } });
          expectOciError(res, 400, 'NAME_INVALID');
        }
      });
    }

    it('a 255-character name is valid; 256 is not', async () => {
      const prefix = `${repoName('v')}/`;
      const name255 = prefix + 'n'.repeat(255 - prefix.length);
      assert.equal(name255.length, 255);
      const ok = await client(name255).request('POST', '/v2/<name>/blobs/uploads/');
      expectStatus(ok, 202);
      const bad = await client(`${name255}n`).request('POST', '/v2/<name>/blobs/uploads/');
      expectOciError(bad, 400, 'NAME_INVALID');
    });

    it('names whose components look like API routes still route correctly', async () => {
      const tricky = client(repoName('tags/manifests/blobs/uploads'));
      const img = await pushImage(tricky, 'latest');
      const res = await getManifest(tricky, 'latest');
      expectStatus(res, 200);
      assert.ok(res.body.equals(img.manifest));
      const tags = await tricky.request('GET', '/v2/<name>/tags/list');
      expectStatus(tags, 200);
      assert.equal(tags.json<{ name?: string }>().name, tricky.defaultName);
    });

    const badTags = ['.dot-first', '-dash-first', 'x'.repeat(129), 'a+b', 'tag!', 'caf%C3%A9', 'a%20b'];
    for (const tag of badTags) {
      it(`PUT of tag ${JSON.stringify(tag.length > 40 ? `x…(${tag.length})` : tag)} is 400 TAG_INVALID`, async () => {
        const res = await raw('PUT', `/v2/${c.defaultName}/manifests/${tag}`, {
          headers: { 'content-type': mediaTypes.ociManifest },
          body: image.manifest,
        });
        expectOciError(res, 400, 'TAG_INVALID');
      });
    }

    it('tags at the edges of the grammar are accepted (128 characters, leading _ or digit, . and -)', async () => {
      for (const tag of ['x'.repeat(128), '_under', '9', 'A.b-c_D']) {
        const res = await putManifest(c, tag, image.manifest, mediaTypes.ociManifest);
        expectStatus(res, 201);
      }
    });

    // Digests as the server should see them once the path segment is decoded.
    const badDigests = [
      `sha256:${'A'.repeat(64)}`, // upper-case hex
      'sha256:abc', // too short
      `sha256:${'a'.repeat(65)}`, // too long
      `sha256:${'g'.repeat(64)}`, // not hex
      'sha256:',
      `:${'a'.repeat(64)}`,
      `md5:${'a'.repeat(32)}`, // unsupported algorithm
      `sha384:${'a'.repeat(96)}`, // unsupported algorithm
      'sha256:../../x',
      'sha256:..',
    ];
    const segment = (d: string) => d.replaceAll('%', '%25').replaceAll('/', '%2F');

    for (const digest of badDigests) {
      it(`digest ${JSON.stringify(digest.length > 40 ? `${digest.slice(0, 12)}…(${digest.length})` : digest)} is 400 DIGEST_INVALID everywhere a digest goes`, async () => {
        const name = c.defaultName;
        const seg = segment(digest);
        for (const [method, path] of [
          ['GET', `/v2/${name}/blobs/${seg}`],
          ['HEAD', `/v2/${name}/blobs/${seg}`],
          ['DELETE', `/v2/${name}/blobs/${seg}`],
          ['GET', `/v2/${name}/manifests/${seg}`],
          ['DELETE', `/v2/${name}/manifests/${seg}`],
          ['GET', `/v2/${name}/referrers/${seg}`],
        ]) {
          expectOciError(await raw(method, path), 400, 'DIGEST_INVALID');
        }
        const q = new URLSearchParams({ digest }).toString();
        expectOciError(await raw('POST', `/v2/${name}/blobs/uploads/?${q}`, { body: 'abc', headers: octet }), 400, 'DIGEST_INVALID');
        const post = await startUpload(c);
        const loc = post.relativeLocation();
        const put = await raw('PUT', `${loc}${loc.includes('?') ? '&' : '?'}${q}`, { body: 'abc', headers: octet });
        expectOciError(put, 400, 'DIGEST_INVALID');
      });
    }

    it('a well-formed sha512 digest passes validation (404 BLOB_UNKNOWN / MANIFEST_UNKNOWN, empty referrers)', async () => {
      const d = `sha512:${'a'.repeat(128)}`;
      expectOciError(await c.request('GET', '/v2/<name>/blobs/<digest>', { digest: d }), 404, 'BLOB_UNKNOWN');
      expectOciError(await getManifest(c, d), 404, 'MANIFEST_UNKNOWN');
      const refs = await c.request('GET', '/v2/<name>/referrers/<digest>', { digest: d });
      expectStatus(refs, 200);
    });

    it('GET of manifest reference sha256:totallywrong is 400 DIGEST_INVALID', async () => {
      expectOciError(await c.request('GET', '/v2/<name>/manifests/sha256:totallywrong'), 400, 'DIGEST_INVALID');
    });

    it('path-traversal shapes the router cannot take apart are still a clean 4xx', async () => {
      const name = c.defaultName;
      for (const [method, path] of [
        ['GET', `/v2/${name}/blobs/sha256:../../x`],
        ['GET', `/v2/${name}/blobs/sha256:%2e%2e%2f%2e%2e%2fx`],
        ['GET', `/v2/${name}/manifests/../../../etc/passwd`],
        ['GET', `/v2/${name}/blobs/uploads/../../../../etc/passwd`],
        ['PUT', `/v2/${name}/blobs/uploads/..%2F..%2F..%2Fx?digest=${sha256('abc')}`],
        ['GET', '/v2/../../../etc/passwd'],
        ['GET', '/v2/%2e%2e/%2e%2e/%2e%2e/etc/passwd'],
      ]) {
        const res = await raw(method, path);
        expectNot5xx(res);
        assert.ok(res.status >= 400, `must not succeed: ${res.describe()}`);
        assert.ok(res.errors(), `expected an OCI error body: ${res.describe()}`);
      }
    });
  });

  describe('Unsupported methods', () => {
    let c: OciClient;
    before(async () => {
      c = client(repoName('methods'));
      await pushImage(c, 'latest');
    });

    for (const [method, path] of [
      ['PATCH', '/v2/<name>/manifests/latest'],
      ['POST', '/v2/<name>/manifests/latest'],
      ['POST', '/v2/<name>/tags/list'],
      ['PUT', `/v2/<name>/blobs/${emptySha256}`],
      ['POST', `/v2/<name>/referrers/${emptySha256}`],
      ['DELETE', '/v2/_catalog'],
    ]) {
      it(`${method} ${path} is 405 UNSUPPORTED`, async () => {
        expectOciError(await c.request(method, path), 405, 'UNSUPPORTED');
      });
    }
  });
});
