// The official suite's test data (conformance/setup.go and image.go in
// opencontainers/distribution-spec), generated the same way: the same Go structs with the
// same field order, marshalled like Go's json.MarshalIndent(v, "", "\t"), so the manifests
// carry the same quirks the official ones do (base64 `data` on the config descriptor, an
// unknown `newUnspecifiedField` that is `null` where Go's []byte is nil) and registries are
// exercised on exactly those bytes.
import { randomBytes, randomInt } from 'node:crypto';
import { sha256 } from './digest.js';

export interface TestBlob {
  content: Buffer;
  contentLength: string;
  digest: string;
}

// ---- Go-compatible JSON ---------------------------------------------------------------

/** json.MarshalIndent(v, "", "\t"): JSON.stringify's layout, plus Go's HTML-safe escapes. */
export function goMarshalIndent(v: unknown): Buffer {
  const text = JSON.stringify(v, null, '\t')
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
  return Buffer.from(text, 'utf8');
}

function blob(content: Buffer, digest = sha256(content)): TestBlob {
  return { content, contentLength: String(content.length), digest };
}

interface DescriptorFields {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  data?: Buffer;
  artifactType?: string;
  newUnspecifiedField?: Buffer;
}

/**
 * image.go's `descriptor`: fields in struct order, omitempty ones left out when empty, and
 * `newUnspecifiedField` (no omitempty) always present: base64 when set, null when nil.
 */
export function descriptor(d: DescriptorFields): Record<string, unknown> {
  const out: Record<string, unknown> = { mediaType: d.mediaType, digest: d.digest, size: d.size };
  if (d.annotations && Object.keys(d.annotations).length > 0) out.annotations = sortedKeys(d.annotations);
  if (d.data && d.data.length > 0) out.data = d.data.toString('base64');
  if (d.artifactType) out.artifactType = d.artifactType;
  out.newUnspecifiedField = d.newUnspecifiedField ? d.newUnspecifiedField.toString('base64') : null;
  return out;
}

// Go marshals maps with sorted keys.
function sortedKeys(m: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

interface ManifestFields {
  mediaType?: string;
  artifactType?: string;
  config: Record<string, unknown>;
  layers: Record<string, unknown>[];
  subject?: Record<string, unknown>;
  annotations?: Record<string, string>;
}

/** image.go's `manifest`, schemaVersion 2. */
function manifest(m: ManifestFields): Record<string, unknown> {
  const out: Record<string, unknown> = { schemaVersion: 2 };
  if (m.mediaType) out.mediaType = m.mediaType;
  if (m.artifactType) out.artifactType = m.artifactType;
  out.config = m.config;
  out.layers = m.layers;
  if (m.subject) out.subject = m.subject;
  if (m.annotations) out.annotations = sortedKeys(m.annotations);
  return out;
}

// ---- constants from setup.go --------------------------------------------------------

export const mediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayerTarGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
} as const;

export const errorCodes = [
  'BLOB_UNKNOWN',
  'BLOB_UPLOAD_INVALID',
  'BLOB_UPLOAD_UNKNOWN',
  'DIGEST_INVALID',
  'MANIFEST_BLOB_UNKNOWN',
  'MANIFEST_INVALID',
  'MANIFEST_UNKNOWN',
  'MANIFEST_UNVERIFIED',
  'NAME_INVALID',
  'NAME_UNKNOWN',
  'SIZE_INVALID',
  'TAG_INVALID',
  'UNAUTHORIZED',
  'DENIED',
  'UNSUPPORTED',
] as const;

export const testTagName = 'tagtest0';
export const emptyLayerTestTag = 'emptylayer';
export const artifactTypeFilter = 'artifactType';
export const nonexistentManifest = '.INVALID_MANIFEST_NAME';
export const invalidManifestContent = Buffer.from('blablabla');
export const dummyDigest = sha256('hello world');

// A gzipped tarball holding test.txt, exactly the suite's layerBase64String.
const layerBase64String =
  'H4sIAAAAAAAAA+3OQQrCMBCF4a49xXgBSUnaHMCTRBptQRNpp6i3t0UEV7oqIv7fYgbmzeJpHHSjVy0' +
  'WZCa1c/MufWVe94N3RWlrZ72x3k/30nhbFWKWLPU0Dhp6keJ8im//PuU/6pZH2WVtYx8b0Sz7LjWSR5VLG6YRBumSzOlGtjkd+qD' +
  'jMWiX07Befbs7AAAAAAAAAAAAAAAAAPyzO34MnqoAKAAA';

// ---- generated data, as in setup.go's init() --------------------------------------------

// setup.go's randomString: crypto-random over this alphabet.
export function randomString(n: number): string {
  const letters = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-';
  let s = '';
  for (let i = 0; i < n; i++) s += letters[randomInt(letters.length)];
  return s;
}

/** An image config with a random author, so every run has fresh digests (setup.go). */
export function makeConfig(): TestBlob {
  const config = {
    author: randomString(16),
    architecture: 'amd64',
    os: 'linux',
    rootfs: { type: 'layers', diff_ids: [] as string[] },
  };
  return blob(goMarshalIndent(config));
}

// In setup.go numWorkflows sits in the `pull = 1 << iota` const block, so it is 1<<4 = 16,
// not 4: sixteen configs and manifests are made and the workflows use indexes 0 to 4.
export const numWorkflows = 16;

export const configs: TestBlob[] = Array.from({ length: numWorkflows }, () => makeConfig());

export const layerBlob: TestBlob = blob(Buffer.from(layerBase64String, 'base64'));
export const layerBlobData = layerBlob.content;
export const layerBlobDigest = layerBlob.digest;
export const layerBlobContentLength = layerBlob.contentLength;

const layers = [descriptor({ mediaType: mediaTypes.ociLayerTarGzip, size: layerBlob.content.length, digest: layerBlob.digest })];

function configDescriptor(c: TestBlob): Record<string, unknown> {
  return descriptor({
    mediaType: mediaTypes.ociConfig,
    digest: c.digest,
    size: c.content.length,
    data: c.content, // must be the config content
    newUnspecifiedField: Buffer.from('hello world'), // content doesn't matter
  });
}

export const manifests: TestBlob[] = configs.map((c) =>
  blob(goMarshalIndent(manifest({ mediaType: mediaTypes.ociManifest, config: configDescriptor(c), layers }))),
);

// Used in the push test: no mediaType field and no layers.
export const emptyLayerManifest: TestBlob = blob(goMarshalIndent(manifest({ config: configDescriptor(configs[1]), layers: [] })));
export const emptyLayerManifestContent = emptyLayerManifest.content;
export const emptyLayerManifestDigest = emptyLayerManifest.digest;

// setup.go draws these from math/rand seeded with Ginkgo's random seed: arbitrary bytes
// that differ between runs. Node's CSPRNG gives the same property.
export const testBlobA: TestBlob = blob(randomBytes(42));

/** The chunked-upload blob; rebuilt by setupChunkedBlob when a registry asks for larger chunks. */
export const chunked = {
  blob: Buffer.alloc(0),
  digest: '',
  chunk1: Buffer.alloc(0),
  chunk1Length: '',
  chunk1Range: '',
  chunk2: Buffer.alloc(0),
  chunk2Length: '',
  chunk2Range: '',
};

export function setupChunkedBlob(size: number): void {
  const b = randomBytes(size);
  const split = Math.floor(size / 2) + 1;
  chunked.blob = b;
  chunked.digest = sha256(b);
  chunked.chunk1 = b.subarray(0, split);
  chunked.chunk1Length = String(chunked.chunk1.length);
  chunked.chunk1Range = `0-${chunked.chunk1.length - 1}`;
  chunked.chunk2 = b.subarray(split);
  chunked.chunk2Length = String(chunked.chunk2.length);
  chunked.chunk2Range = `${chunked.chunk1.length}-${b.length - 1}`;
}
setupChunkedBlob(42);

// ---- referrers data -------------------------------------------------------------------

export const emptyJSONBlob = Buffer.from('{}');
export const emptyJSONDescriptorFields = { mediaType: mediaTypes.ociEmpty, size: emptyJSONBlob.length, digest: sha256(emptyJSONBlob) };
const emptyJSONDescriptor = descriptor(emptyJSONDescriptorFields);

export const testRefBlobA: TestBlob = blob(Buffer.from('NHL Peanut Butter on my NHL bagel'));
export const testRefArtifactTypeA = 'application/vnd.nhl.peanut.butter.bagel';
export const testRefBlobB: TestBlob = blob(Buffer.from('NBA Strawberry Jam on my NBA croissant'));
export const testRefArtifactTypeB = 'application/vnd.nba.strawberry.jam.croissant';
export const testRefArtifactTypeIndex = 'application/vnd.food.stand';
export const testAnnotationKey = 'org.opencontainers.conformance.test';
/** digest → the value of testAnnotationKey that manifest carries. */
export const testAnnotationValues: Record<string, string> = {};

function subjectOf(m: TestBlob): Record<string, unknown> {
  return descriptor({ mediaType: mediaTypes.ociManifest, size: m.content.length, digest: m.digest });
}

function refArtifact(fields: ManifestFields & { annotation?: string }): TestBlob {
  const { annotation, ...rest } = fields;
  const b = blob(goMarshalIndent(manifest({ ...rest, annotations: annotation ? { [testAnnotationKey]: annotation } : undefined })));
  if (annotation) testAnnotationValues[b.digest] = annotation;
  return b;
}

// Artifact with a subject, artifactType given by config.mediaType.
export const refsManifestAConfigArtifact = refArtifact({
  mediaType: mediaTypes.ociManifest,
  config: descriptor({ mediaType: testRefArtifactTypeA, size: testRefBlobA.content.length, digest: testRefBlobA.digest }),
  subject: subjectOf(manifests[4]),
  layers: [emptyJSONDescriptor],
  annotation: 'test config a',
});

export const refsManifestBConfigArtifact = refArtifact({
  mediaType: mediaTypes.ociManifest,
  config: descriptor({ mediaType: testRefArtifactTypeB, size: testRefBlobB.content.length, digest: testRefBlobB.digest }),
  subject: subjectOf(manifests[4]),
  layers: [emptyJSONDescriptor],
  annotation: 'test config b',
});

// Artifact with a subject, artifactType field set and the empty config.
export const refsManifestALayerArtifact = refArtifact({
  mediaType: mediaTypes.ociManifest,
  artifactType: testRefArtifactTypeA,
  config: emptyJSONDescriptor,
  subject: subjectOf(manifests[4]),
  layers: [descriptor({ mediaType: testRefArtifactTypeA, size: testRefBlobA.content.length, digest: testRefBlobA.digest })],
  annotation: 'test layer a',
});

export const refsManifestBLayerArtifact = refArtifact({
  mediaType: mediaTypes.ociManifest,
  artifactType: testRefArtifactTypeB,
  config: emptyJSONDescriptor,
  subject: subjectOf(manifests[4]),
  layers: [descriptor({ mediaType: testRefArtifactTypeB, size: testRefBlobB.content.length, digest: testRefBlobB.digest })],
  annotation: 'test layer b',
});

// Same as B, but its subject (manifests[3]) is never pushed to this repository.
export const refsManifestCLayerArtifact = refArtifact({
  mediaType: mediaTypes.ociManifest,
  artifactType: testRefArtifactTypeB,
  config: emptyJSONDescriptor,
  subject: subjectOf(manifests[3]),
  layers: [descriptor({ mediaType: testRefArtifactTypeB, size: testRefBlobB.content.length, digest: testRefBlobB.digest })],
});

// An index with a subject, listing the two A artifacts.
export const refsIndexArtifact: TestBlob = (() => {
  const index: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: mediaTypes.ociIndex,
    artifactType: testRefArtifactTypeIndex,
    manifests: [
      descriptor({ mediaType: mediaTypes.ociManifest, size: refsManifestAConfigArtifact.content.length, digest: refsManifestAConfigArtifact.digest }),
      descriptor({ mediaType: mediaTypes.ociManifest, size: refsManifestALayerArtifact.content.length, digest: refsManifestALayerArtifact.digest }),
    ],
    subject: subjectOf(manifests[4]),
    annotations: { [testAnnotationKey]: 'test index' },
  };
  const b = blob(goMarshalIndent(index));
  testAnnotationValues[b.digest] = 'test index';
  return b;
})();
