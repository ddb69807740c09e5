// Port of the official OCI distribution-spec conformance suite, "Content Management"
// workflow (conformance/04_management_test.go): deleting a tag, a manifest and blobs.
import assert from 'node:assert/strict';
import type { OciClient } from './support/client.js';
import { expectStatus, success } from './support/expect.js';
import { configs, layerBlobData, layerBlobDigest, manifests } from './support/fixtures.js';
import { client, repoName } from './support/registry.js';

interface TagList {
  name?: string;
  tags?: string[] | null;
}

describe('OCI Distribution Conformance Tests', () => {
  describe('Content Management', () => {
    const defaultTagName = 'tagtest0';
    let c: OciClient;
    let tagToDelete = '';
    let numTags = 0;
    let blobDeleteAllowed = true;

    before(() => {
      c = client(repoName('management'));
    });

    const octet = { 'content-type': 'application/octet-stream' };

    describe('Setup', () => {
      it('Populate registry with test config blob', async () => {
        const post = await c.request('POST', '/v2/<name>/blobs/uploads/');
        const res = await c.request('PUT', post.relativeLocation(), {
          query: { digest: configs[3].digest },
          headers: octet,
          body: configs[3].content,
          chunked: true,
        });
        expectStatus(res, success);
      });

      it('Populate registry with test layer', async () => {
        const post = await c.request('POST', '/v2/<name>/blobs/uploads/');
        const res = await c.request('PUT', post.relativeLocation(), {
          query: { digest: layerBlobDigest },
          headers: octet,
          body: layerBlobData,
          chunked: true,
        });
        expectStatus(res, success);
      });

      it('Populate registry with test tag', async () => {
        tagToDelete = defaultTagName;
        const res = await c.request('PUT', '/v2/<name>/manifests/<reference>', {
          reference: tagToDelete,
          headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
          body: manifests[3].content,
          chunked: true,
        });
        expectStatus(res, success);
      });

      it('Check how many tags there are before anything gets deleted', async () => {
        const res = await c.request('GET', '/v2/<name>/tags/list');
        expectStatus(res, 200);
        numTags = (res.json<TagList>().tags ?? []).length;
      });
    });

    describe('Manifest delete', () => {
      it('DELETE request to manifest tag should return 202, unless tag deletion is disallowed (400/405)', async () => {
        const res = await c.request('DELETE', '/v2/<name>/manifests/<reference>', { reference: tagToDelete });
        expectStatus(res, 400, 202, 405);
        if (res.status === 400) {
          const errors = res.errors();
          assert.ok(errors && errors.length > 0, `expected OCI error body: ${res.describe()}`);
          assert.equal(errors[0].code, 'UNSUPPORTED', res.describe());
        }
      });

      it('DELETE request to manifest (digest) should yield 202 response unless already deleted', async () => {
        const res = await c.request('DELETE', '/v2/<name>/manifests/<digest>', { digest: manifests[3].digest });
        // In the case that the previous request was accepted, this may or may not fail (which is ok)
        expectStatus(res, 202, 404);
      });

      it('GET request to deleted manifest URL should yield 404 response, unless delete is disallowed', async () => {
        const res = await c.request('GET', '/v2/<name>/manifests/<digest>', { digest: manifests[3].digest });
        expectStatus(res, 404, 200);
      });

      it('GET request to tags list should reflect manifest deletion', async () => {
        const res = await c.request('GET', '/v2/<name>/tags/list');
        // The repository still holds its blobs, so it is not unknown: 200, with fewer tags.
        expectStatus(res, 200);
        const tags = res.json<TagList>().tags ?? [];
        assert.ok(tags.length < numTags, `expected fewer than ${numTags} tags: ${res.describe()}`);
      });
    });

    describe('Blob delete', () => {
      it('DELETE request to blob URL should yield 202 response', async () => {
        // config blob
        let res = await c.request('DELETE', '/v2/<name>/blobs/<digest>', { digest: configs[3].digest });
        expectStatus(res, 202, 404, 405);
        // layer blob
        res = await c.request('DELETE', '/v2/<name>/blobs/<digest>', { digest: layerBlobDigest });
        expectStatus(res, 202, 404, 405);
        if (res.status === 405) blobDeleteAllowed = false;
      });

      it('GET request to deleted blob URL should yield 404 response', async function () {
        if (!blobDeleteAllowed) this.skip(); // RunOnlyIf(blobDeleteAllowed)
        const res = await c.request('GET', '/v2/<name>/blobs/<digest>', { digest: configs[3].digest });
        expectStatus(res, 404);
      });
    });

    // Teardown: none in the official suite ("TODO: delete blob+tag?").
  });
});
