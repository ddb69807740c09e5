import assert from 'node:assert/strict';
import { RegistryError } from '../../server/lib/registryErrors.js';
import { parseManifest } from '../../server/registry/manifestParser.js';
import { mediaTypes } from '../../server/registry/mediaTypes.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const body = (o: unknown) => Buffer.from(JSON.stringify(o));
const image = {
  schemaVersion: 2,
  mediaType: mediaTypes.ociManifest,
  config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: d('a'), size: 2 },
  layers: [
    { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d('b'), size: 3 },
    { mediaType: 'application/vnd.oci.image.layer.nondistributable.v1.tar', digest: d('c'), size: 3, urls: ['https://example.invalid/l'] },
  ],
};

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RegistryError);
    return `${err.code}: ${err.message}`;
  }
  return 'ok';
}

describe('manifest parser', () => {
  it('lists the blobs an image manifest needs, skipping external layers', () => {
    const p = parseManifest(body(image), mediaTypes.ociManifest);
    assert.equal(p.kind, 'image');
    assert.deepEqual(p.blobDigests, [d('a'), d('b')]);
    assert.equal(p.artifactType, 'application/vnd.oci.image.config.v1+json');
  });

  it('reads artifactType and subject of an artifact', () => {
    const p = parseManifest(
      body({ ...image, artifactType: 'application/vnd.example.sbom', subject: { mediaType: mediaTypes.ociManifest, digest: d('e'), size: 9 } }),
      '',
    );
    assert.equal(p.artifactType, 'application/vnd.example.sbom');
    assert.equal(p.subjectDigest, d('e'));
    assert.equal(p.mediaType, mediaTypes.ociManifest);
  });

  it('lists the children of an index (OCI and Docker)', () => {
    const index = {
      schemaVersion: 2,
      manifests: [{ mediaType: mediaTypes.ociManifest, digest: d('1'), size: 5, platform: { os: 'linux', architecture: 'amd64' } }],
    };
    assert.deepEqual(parseManifest(body(index), mediaTypes.ociIndex).childDigests, [d('1')]);
    assert.equal(parseManifest(body({ ...index, mediaType: mediaTypes.dockerManifestList }), mediaTypes.dockerManifestList).kind, 'index');
    assert.equal(parseManifest(body(index), '').mediaType, mediaTypes.ociIndex);
  });

  it('refuses Docker schema 1 with a clear message', () => {
    assert.match(
      codeOf(() => parseManifest(body({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] }), 'application/json')),
      /^MANIFEST_INVALID: Docker schema 1/,
    );
    assert.match(
      codeOf(() => parseManifest(body({}), mediaTypes.dockerSchema1Signed)),
      /^MANIFEST_INVALID: Docker schema 1/,
    );
  });

  const broken: Array<[string, Buffer, string]> = [
    ['not JSON', Buffer.from('{'), mediaTypes.ociManifest],
    ['an array', body([]), mediaTypes.ociManifest],
    ['schemaVersion 3', body({ ...image, schemaVersion: 3 }), mediaTypes.ociManifest],
    ['no config', body({ ...image, config: undefined }), mediaTypes.ociManifest],
    ['a bad layer digest', body({ ...image, layers: [{ mediaType: 'x', digest: 'sha256:zz', size: 1 }] }), mediaTypes.ociManifest],
    ['a negative size', body({ ...image, layers: [{ mediaType: 'x', digest: d('b'), size: -1 }] }), mediaTypes.ociManifest],
    ['mediaType contradicting Content-Type', body(image), mediaTypes.dockerManifest],
    ['an unknown media type', body({ ...image, mediaType: 'application/x-unknown' }), ''],
    ['non-string annotations', body({ ...image, annotations: { a: 1 } }), mediaTypes.ociManifest],
  ];
  for (const [what, b, type] of broken) {
    it(`refuses ${what} with MANIFEST_INVALID`, () =>
      assert.match(
        codeOf(() => parseManifest(b, type)),
        /^MANIFEST_INVALID/,
      ));
  }
});
