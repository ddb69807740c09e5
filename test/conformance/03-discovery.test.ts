// Port of the official OCI distribution-spec conformance suite, "Content Discovery" workflow
// (conformance/03_discovery_test.go): tag listing with n/last, and the referrers API with
// artifacts whose artifactType comes from config.mediaType or the artifactType field, an
// index artifact, and an artifact whose subject was never pushed.
import assert from 'node:assert/strict';
import type { OciClient } from './support/client.js';
import { emptyJsonDigest } from './support/digest.js';
import { expectStatus, success } from './support/expect.js';
import {
  artifactTypeFilter,
  configs,
  dummyDigest,
  emptyJSONBlob,
  emptyJSONDescriptorFields,
  layerBlobData,
  layerBlobDigest,
  manifests,
  refsIndexArtifact,
  refsManifestAConfigArtifact,
  refsManifestALayerArtifact,
  refsManifestBConfigArtifact,
  refsManifestBLayerArtifact,
  refsManifestCLayerArtifact,
  testAnnotationKey,
  testAnnotationValues,
  testRefArtifactTypeA,
  testRefBlobA,
  testRefBlobB,
  testTagName,
  type TestBlob,
} from './support/fixtures.js';
import { client, repoName } from './support/registry.js';

const deleteManifestBeforeBlobs = true; // official default

interface TagList {
  name?: string;
  tags?: string[] | null;
}

interface Index {
  schemaVersion?: number;
  mediaType?: string;
  manifests?: Array<{ mediaType?: string; digest: string; size?: number; artifactType?: string; annotations?: Record<string, string> }> | null;
}

/** setup.go's getTagList: the tags of a tags/list body, [] if it does not parse. */
function getTagList(body: string): string[] {
  try {
    return (JSON.parse(body) as TagList).tags ?? [];
  } catch {
    return [];
  }
}

describe('OCI Distribution Conformance Tests', () => {
  describe('Content Discovery', () => {
    let c: OciClient;
    let numTags = 4;
    let tagList: string[] = [];

    before(() => {
      c = client(repoName('discovery'));
    });

    const octet = { 'content-type': 'application/octet-stream' };
    const manifestType = { 'content-type': 'application/vnd.oci.image.manifest.v1+json' };

    async function populateBlob(digest: string, content: Buffer): Promise<void> {
      const post = await c.request('POST', '/v2/<name>/blobs/uploads/');
      const put = await c.request('PUT', post.relativeLocation(), { query: { digest }, headers: octet, body: content, chunked: true });
      expectStatus(put, success);
    }

    /** Pushes a referrer and checks the registry names its subject in OCI-Subject. */
    async function pushReferrer(m: TestBlob, contentType: string, subject: string): Promise<void> {
      const res = await c.request('PUT', '/v2/<name>/manifests/<reference>', {
        reference: m.digest,
        headers: { 'content-type': contentType },
        body: m.content,
        chunked: true,
      });
      expectStatus(res, success);
      assert.equal(res.header('oci-subject'), subject, `OCI-Subject: ${res.describe()}`);
    }

    describe('Setup', () => {
      it('Populate registry with test blob', async () => {
        await populateBlob(configs[2].digest, configs[2].content);
      });

      it('Populate registry with test layer', async () => {
        await populateBlob(layerBlobDigest, layerBlobData);
      });

      it('Populate registry with test tags', async () => {
        for (let i = 0; i < numTags; i++) {
          const tag = `test${i}`;
          tagList.push(tag);
          const res = await c.request('PUT', '/v2/<name>/manifests/<reference>', {
            reference: tag,
            headers: manifestType,
            body: manifests[2].content,
            chunked: true,
          });
          expectStatus(res, success);
        }
        const res = await c.request('GET', '/v2/<name>/tags/list');
        tagList = getTagList(res.text());
      });

      it('References setup', async () => {
        // Populate registry with empty JSON blob; validate the expected empty JSON digest
        assert.equal(emptyJSONDescriptorFields.digest, emptyJsonDigest);
        await populateBlob(emptyJSONDescriptorFields.digest, emptyJSONBlob);

        // Populate registry with reference blob before the image manifest is pushed
        await populateBlob(testRefBlobA.digest, testRefBlobA.content);

        // Referrers pushed before their subject exists (config.MediaType = artifactType,
        // then artifactType with the empty config), then an index referrer
        await pushReferrer(refsManifestAConfigArtifact, 'application/vnd.oci.image.manifest.v1+json', manifests[4].digest);
        await pushReferrer(refsManifestALayerArtifact, 'application/vnd.oci.image.manifest.v1+json', manifests[4].digest);
        await pushReferrer(refsIndexArtifact, 'application/vnd.oci.image.index.v1+json', manifests[4].digest);

        // Populate registry with the subject image: config, layer, manifest[4] as tagtest0
        await populateBlob(configs[4].digest, configs[4].content);
        await populateBlob(layerBlobDigest, layerBlobData);
        const res = await c.request('PUT', '/v2/<name>/manifests/<reference>', {
          reference: testTagName,
          headers: manifestType,
          body: manifests[4].content,
          chunked: true,
        });
        expectStatus(res, success);

        // Populate registry with reference blob after the image manifest is pushed
        await populateBlob(testRefBlobB.digest, testRefBlobB.content);
        await pushReferrer(refsManifestBConfigArtifact, 'application/vnd.oci.image.manifest.v1+json', manifests[4].digest);
        await pushReferrer(refsManifestBLayerArtifact, 'application/vnd.oci.image.manifest.v1+json', manifests[4].digest);

        // A referrer to a subject (manifests[3]) that does not exist in this repository
        await pushReferrer(refsManifestCLayerArtifact, 'application/vnd.oci.image.manifest.v1+json', manifests[3].digest);
      });
    });

    describe('Test content discovery endpoints (listing tags)', () => {
      it('GET request to list tags should yield 200 response', async () => {
        const res = await c.request('GET', '/v2/<name>/tags/list');
        expectStatus(res, 200);
        tagList = getTagList(res.text());
        numTags = tagList.length;
      });

      it('GET number of tags should be limitable by `n` query parameter', async () => {
        const numResults = Math.floor(numTags / 2);
        const res = await c.request('GET', '/v2/<name>/tags/list', { query: { n: String(numResults) } });
        expectStatus(res, 200);
        tagList = getTagList(res.text());
        assert.equal(tagList.length, numResults, res.describe());
      });

      it('GET start of tag is set by `last` query parameter', async () => {
        const numResults = Math.floor(numTags / 2);
        let res = await c.request('GET', '/v2/<name>/tags/list', { query: { n: String(numResults) } });
        tagList = getTagList(res.text());
        assert.ok(tagList.length >= numResults, `first page too short: ${res.describe()}`);
        const last = tagList[numResults - 1];
        res = await c.request('GET', '/v2/<name>/tags/list', { query: { n: String(numResults), last } });
        expectStatus(res, 200);
        // Upstream checks these two on the first page again (it never re-reads tagList), so
        // they hold whatever the second page says; kept for fidelity...
        assert.ok(tagList.length <= numResults);
        assert.ok(tagList.includes(last));
        // ...and the second page itself is checked too, so the spec can actually fail: at
        // most n tags, all lexically after `last`.
        const page2 = getTagList(res.text());
        assert.ok(page2.length > 0 && page2.length <= numResults, `second page size: ${res.describe()}`);
        assert.ok(
          page2.every((t) => t > last),
          `second page must start after ${last}: ${res.describe()}`,
        );
      });
    });

    describe('Test content discovery endpoints (listing references)', () => {
      const indexType = 'application/vnd.oci.image.index.v1+json';

      function checkAnnotations(index: Index, label: string): void {
        for (const m of index.manifests ?? []) {
          assert.equal(Object.keys(m.annotations ?? {}).length, 1, `${label}: annotations of ${m.digest}`);
          assert.equal(m.annotations?.[testAnnotationKey], testAnnotationValues[m.digest], `${label}: annotation of ${m.digest}`);
        }
      }

      it('GET request to nonexistent blob should result in empty 200 response', async () => {
        const res = await c.request('GET', '/v2/<name>/referrers/<digest>', { digest: dummyDigest });
        expectStatus(res, 200);
        assert.equal(res.header('content-type'), indexType, res.describe());
        const index = res.json<Index>();
        assert.equal((index.manifests ?? []).length, 0, res.describe());
      });

      it('GET request to existing blob should yield 200', async () => {
        const res = await c.request('GET', '/v2/<name>/referrers/<digest>', { digest: manifests[4].digest });
        expectStatus(res, 200);
        assert.equal(res.header('content-type'), indexType, res.describe());
        const index = res.json<Index>();
        const ms = index.manifests ?? [];
        assert.equal(ms.length, 5, res.describe());
        assert.notEqual(ms[0].digest, ms[1].digest);
        checkAnnotations(index, res.describe());
      });

      it('GET request to existing blob with filter should yield 200', async () => {
        const res = await c.request('GET', '/v2/<name>/referrers/<digest>', {
          digest: manifests[4].digest,
          query: { artifactType: testRefArtifactTypeA },
        });
        expectStatus(res, 200);
        assert.equal(res.header('content-type'), indexType, res.describe());
        const index = res.json<Index>();
        // OCI-Filters-Applied: artifactType says the filter was applied
        if (res.header('oci-filters-applied')) {
          assert.equal((index.manifests ?? []).length, 2, res.describe());
          assert.equal(res.header('oci-filters-applied'), artifactTypeFilter, res.describe());
        } else {
          assert.equal((index.manifests ?? []).length, 5, res.describe());
          console.warn('WARNING: filtering by artifact-type is not implemented');
        }
        checkAnnotations(index, res.describe());
      });

      it('GET request to missing manifest should yield 200', async () => {
        const res = await c.request('GET', '/v2/<name>/referrers/<digest>', { digest: manifests[3].digest });
        expectStatus(res, 200);
        assert.equal(res.header('content-type'), indexType, res.describe());
        const ms = res.json<Index>().manifests ?? [];
        assert.equal(ms.length, 1, res.describe());
        assert.equal(ms[0].digest, refsManifestCLayerArtifact.digest, res.describe());
      });
    });

    describe('Teardown', () => {
      const accepted = [success, 405, 404] as const;

      async function deleteCreatedManifestsAndTags(): Promise<void> {
        const references = [
          refsIndexArtifact.digest,
          manifests[2].digest,
          manifests[4].digest,
          refsManifestAConfigArtifact.digest,
          refsManifestALayerArtifact.digest,
          testTagName,
          refsManifestBConfigArtifact.digest,
          refsManifestBLayerArtifact.digest,
          refsManifestCLayerArtifact.digest,
        ];
        for (const ref of references) {
          const res = await c.request('DELETE', '/v2/<name>/manifests/<digest>', { digest: ref });
          expectStatus(res, ...accepted);
        }
      }

      async function deleteReq(path: string, opts: { reference?: string; digest?: string }): Promise<void> {
        const res = await c.request('DELETE', path, opts);
        expectStatus(res, ...accepted);
      }

      async function deleteReferenceManifests(): Promise<void> {
        await deleteReq('/v2/<name>/manifests/<reference>', { reference: refsIndexArtifact.digest });
        await deleteReq('/v2/<name>/manifests/<reference>', { reference: refsManifestAConfigArtifact.digest });
        await deleteReq('/v2/<name>/manifests/<reference>', { reference: refsManifestALayerArtifact.digest });
        await deleteReq('/v2/<name>/manifests/<digest>', { digest: manifests[4].digest });
        await deleteReq('/v2/<name>/manifests/<reference>', { reference: refsManifestBConfigArtifact.digest });
        await deleteReq('/v2/<name>/manifests/<reference>', { reference: refsManifestBLayerArtifact.digest });
      }

      if (deleteManifestBeforeBlobs) it('Delete created manifest & associated tags', deleteCreatedManifestsAndTags);

      it('Delete config blob created in tests', async () => {
        const res = await c.request('DELETE', '/v2/<name>/blobs/<digest>', { digest: configs[2].digest });
        expectStatus(res, success, 405);
      });

      it('Delete layer blob created in setup', async () => {
        const res = await c.request('DELETE', '/v2/<name>/blobs/<digest>', { digest: layerBlobDigest });
        expectStatus(res, success, 405);
      });

      if (!deleteManifestBeforeBlobs) it('Delete created manifest & associated tags', deleteCreatedManifestsAndTags);

      it('References teardown', async () => {
        if (deleteManifestBeforeBlobs) await deleteReferenceManifests();
        await deleteReq('/v2/<name>/blobs/<digest>', { digest: configs[4].digest });
        await deleteReq('/v2/<name>/blobs/<digest>', { digest: testRefBlobA.digest });
        await deleteReq('/v2/<name>/blobs/<digest>', { digest: testRefBlobB.digest });
        await deleteReq('/v2/<name>/blobs/<digest>', { digest: emptyJSONDescriptorFields.digest });
        if (!deleteManifestBeforeBlobs) await deleteReferenceManifests();
      });
    });
  });
});
