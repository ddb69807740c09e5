// Port of the official OCI distribution-spec conformance suite, "Pull" workflow
// (conformance/01_pull_test.go). Same requests, same assertions, same accepted status
// alternatives; Ginkgo's Context/Specify become describe/it, run in order, sharing state.
// Against Berth every workflow is enabled and every setup step runs (the official
// OCI_TAG_NAME / OCI_MANIFEST_DIGEST / OCI_BLOB_DIGEST "no setup" mode has nothing to port).
import assert from 'node:assert/strict';
import { rawRequest, type OciClient } from './support/client.js';
import { expectStatus, success } from './support/expect.js';
import {
  configs,
  dummyDigest,
  errorCodes,
  invalidManifestContent,
  layerBlobData,
  layerBlobDigest,
  manifests,
  nonexistentManifest,
  testTagName,
} from './support/fixtures.js';
import { authHeaders, client, registryUrl, repoName } from './support/registry.js';

// The official suite's default is OCI_DELETE_MANIFEST_BEFORE_BLOBS=true.
const deleteManifestBeforeBlobs = true;

describe('OCI Distribution Conformance Tests', () => {
  describe('Pull', () => {
    let c: OciClient;
    let tag = '';

    before(() => {
      // One repository per workflow (the official suite shares OCI_NAMESPACE across the four,
      // but gives each workflow its own configs[i]/manifests[i] precisely so they do not
      // interfere): this keeps each file runnable alone and in any order.
      c = client(repoName('pull'));
    });

    async function populateBlob(digest: string, content: Buffer): Promise<void> {
      const post = await c.request('POST', '/v2/<name>/blobs/uploads/');
      const put = await c.request('PUT', post.relativeLocation(), {
        query: { digest },
        headers: { 'content-type': 'application/octet-stream' },
        body: content,
        chunked: true,
      });
      expectStatus(put, success);
    }

    describe('Setup', () => {
      it('Populate registry with test blob (config[0])', async () => {
        await populateBlob(configs[0].digest, configs[0].content);
      });

      it('Populate registry with test blob (config[1])', async () => {
        await populateBlob(configs[1].digest, configs[1].content);
      });

      it('Populate registry with test layer', async () => {
        await populateBlob(layerBlobDigest, layerBlobData);
      });

      it('Populate registry with test manifest (manifest[0] by tag)', async () => {
        tag = testTagName;
        const res = await c.request('PUT', '/v2/<name>/manifests/<reference>', {
          reference: tag,
          headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
          body: manifests[0].content,
          chunked: true,
        });
        expectStatus(res, success);
      });

      it('Populate registry with test manifest (manifest[1] by digest)', async () => {
        const res = await c.request('PUT', '/v2/<name>/manifests/<reference>', {
          reference: manifests[1].digest,
          headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
          body: manifests[1].content,
          chunked: true,
        });
        expectStatus(res, success);
      });
    });

    describe('Pull blobs', () => {
      it('HEAD request to nonexistent blob should result in 404 response', async () => {
        const res = await c.request('HEAD', '/v2/<name>/blobs/<digest>', { digest: dummyDigest });
        expectStatus(res, 404);
      });

      it('HEAD request to existing blob should yield 200', async () => {
        const res = await c.request('HEAD', '/v2/<name>/blobs/<digest>', { digest: configs[0].digest });
        expectStatus(res, 200);
        const h = res.header('docker-content-digest');
        if (h) assert.equal(h, configs[0].digest, res.describe());
      });

      it('GET nonexistent blob should result in 404 response', async () => {
        const res = await c.request('GET', '/v2/<name>/blobs/<digest>', { digest: dummyDigest });
        expectStatus(res, 404);
      });

      it('GET request to existing blob URL should yield 200', async () => {
        const res = await c.request('GET', '/v2/<name>/blobs/<digest>', { digest: configs[0].digest });
        expectStatus(res, 200);
      });
    });

    describe('Pull manifests', () => {
      const accept = { accept: 'application/vnd.oci.image.manifest.v1+json' };

      it('HEAD request to nonexistent manifest should return 404', async () => {
        const res = await c.request('HEAD', '/v2/<name>/manifests/<reference>', { reference: nonexistentManifest });
        expectStatus(res, 404);
      });

      it('HEAD request to manifest[0] path (digest) should yield 200 response', async () => {
        const res = await c.request('HEAD', '/v2/<name>/manifests/<digest>', { digest: manifests[0].digest, headers: accept });
        expectStatus(res, 200);
        const h = res.header('docker-content-digest');
        if (h) assert.equal(h, manifests[0].digest, res.describe());
      });

      it('HEAD request to manifest[1] path (digest) should yield 200 response', async () => {
        const res = await c.request('HEAD', '/v2/<name>/manifests/<digest>', { digest: manifests[1].digest, headers: accept });
        expectStatus(res, 200);
        const h = res.header('docker-content-digest');
        if (h) assert.equal(h, manifests[1].digest, res.describe());
      });

      it('HEAD request to manifest path (tag) should yield 200 response', async () => {
        assert.notEqual(tag, '');
        const res = await c.request('HEAD', '/v2/<name>/manifests/<reference>', { reference: tag, headers: accept });
        expectStatus(res, 200);
        const h = res.header('docker-content-digest');
        if (h) assert.equal(h, manifests[0].digest, res.describe());
      });

      it('GET nonexistent manifest should return 404', async () => {
        const res = await c.request('GET', '/v2/<name>/manifests/<reference>', { reference: nonexistentManifest });
        expectStatus(res, 404);
      });

      it('GET request to manifest[0] path (digest) should yield 200 response', async () => {
        const res = await c.request('GET', '/v2/<name>/manifests/<digest>', { digest: manifests[0].digest, headers: accept });
        expectStatus(res, 200);
      });

      it('GET request to manifest[1] path (digest) should yield 200 response', async () => {
        const res = await c.request('GET', '/v2/<name>/manifests/<digest>', { digest: manifests[1].digest, headers: accept });
        expectStatus(res, 200);
      });

      it('GET request to manifest path (tag) should yield 200 response', async () => {
        assert.notEqual(tag, '');
        const res = await c.request('GET', '/v2/<name>/manifests/<reference>', { reference: tag, headers: accept });
        expectStatus(res, 200);
      });
    });

    describe('Error codes', () => {
      it('400 response body should contain OCI-conforming JSON message', async () => {
        // The official request is a GET that carries a body; fetch refuses bodies on GET, so
        // this one goes out through node:http with the same method, headers and body, and
        // with the run's credentials as HTTP Basic (reggie would fetch a token instead).
        const res = await rawRequest(registryUrl(), 'GET', `/v2/${c.defaultName}/manifests/sha256:totallywrong`, {
          headers: { ...authHeaders(), 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
          body: invalidManifestContent,
        });
        expectStatus(res, 400, 404);
        if (res.status === 400) {
          const errors = res.errors();
          assert.ok(errors && errors.length > 0, `expected OCI error body: ${res.describe()}`);
          assert.ok((errorCodes as readonly string[]).includes(errors[0].code), `unknown error code: ${res.describe()}`);
        }
      });
    });

    describe('Teardown', () => {
      const deleteManifest = (digest: string) => async () => {
        const res = await c.request('DELETE', '/v2/<name>/manifests/<digest>', { digest });
        expectStatus(res, success, 405);
      };
      const deleteBlob = (digest: string) => async () => {
        const res = await c.request('DELETE', '/v2/<name>/blobs/<digest>', { digest });
        expectStatus(res, success, 404, 405);
      };

      if (deleteManifestBeforeBlobs) {
        it('Delete manifest[0] created in setup', deleteManifest(manifests[0].digest));
        it('Delete manifest[1] created in setup', deleteManifest(manifests[1].digest));
      }
      it('Delete config[0] blob created in setup', deleteBlob(configs[0].digest));
      it('Delete config[1] blob created in setup', deleteBlob(configs[1].digest));
      it('Delete layer blob created in setup', deleteBlob(layerBlobDigest));
      if (!deleteManifestBeforeBlobs) {
        it('Delete manifest[0] created in setup', deleteManifest(manifests[0].digest));
        it('Delete manifest[1] created in setup', deleteManifest(manifests[1].digest));
      }
    });
  });
});
