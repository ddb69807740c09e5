// Parses and validates a manifest body (image manifest or index, OCI or Docker schema 2)
// into what the registry needs to check and store. The bytes themselves are never
// re-serialized: the caller stores exactly what it received.
import { RegistryError } from '../lib/registryErrors.js';
import { manifestKinds, mediaTypes, schema1MediaTypes, type ManifestKind } from './mediaTypes.js';
import { parseDigest } from '../lib/references.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
}

export interface ParsedManifest {
  mediaType: string;
  kind: ManifestKind;
  /** Blobs this manifest needs in the repository (config and layers without external URLs). */
  blobDigests: string[];
  /** Manifests an index needs in the repository. */
  childDigests: string[];
  subjectDigest?: string;
  /** artifactType, else the config's media type (what the referrers API reports). */
  artifactType?: string;
  annotations?: Record<string, string>;
}

const schema1Message =
  'Docker schema 1 manifests are not supported (deprecated, unsigned content); push with a current client that writes schema 2 or OCI manifests';

function invalid(message: string, detail?: unknown): never {
  throw new RegistryError('MANIFEST_INVALID', message, detail);
}

function descriptor(value: unknown, where: string): Descriptor {
  if (!value || typeof value !== 'object' || Array.isArray(value)) invalid(`${where} must be a descriptor object`);
  const d = value as Record<string, unknown>;
  if (typeof d.mediaType !== 'string' || !d.mediaType) invalid(`${where}.mediaType must be a non-empty string`);
  if (typeof d.digest !== 'string' || !parseDigest(d.digest)) invalid(`${where}.digest is not a valid sha256 or sha512 digest`, { digest: d.digest });
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) invalid(`${where}.size must be a non-negative integer`);
  if (d.urls !== undefined && (!Array.isArray(d.urls) || d.urls.some((u) => typeof u !== 'string'))) invalid(`${where}.urls must be a list of strings`);
  return { mediaType: d.mediaType, digest: d.digest, size: d.size, urls: d.urls as string[] | undefined };
}

function annotationsOf(value: unknown, where: string): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    invalid(`${where} must be an object of strings`);
  }
  return value as Record<string, string>;
}

/** `contentType` is the request's Content-Type without parameters (may be empty). */
export function parseManifest(body: Buffer, contentType: string): ParsedManifest {
  if (schema1MediaTypes.has(contentType)) invalid(schema1Message);
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (err) {
    invalid(`manifest is not valid JSON: ${(err as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) invalid('manifest must be a JSON object');
  const m = doc as Record<string, unknown>;
  if (m.schemaVersion === 1 || (typeof m.mediaType === 'string' && schema1MediaTypes.has(m.mediaType))) invalid(schema1Message);
  if (m.schemaVersion !== 2) invalid('schemaVersion must be 2');
  if (m.mediaType !== undefined && typeof m.mediaType !== 'string') invalid('mediaType must be a string');

  const bodyType = m.mediaType as string | undefined;
  const headerKnown = contentType && manifestKinds[contentType] ? contentType : undefined;
  if (headerKnown && bodyType && bodyType !== headerKnown) {
    invalid(`mediaType ${bodyType} in the manifest does not match Content-Type ${headerKnown}`);
  }
  // OCI manifests may omit mediaType; then the Content-Type, else the shape, decides.
  const mediaType = headerKnown ?? bodyType ?? (Array.isArray(m.manifests) ? mediaTypes.ociIndex : 'config' in m ? mediaTypes.ociManifest : undefined);
  if (!mediaType || !manifestKinds[mediaType]) {
    invalid(`unsupported manifest media type ${JSON.stringify(mediaType ?? contentType)}`, { supported: Object.keys(manifestKinds) });
  }
  const kind = manifestKinds[mediaType];
  if (m.artifactType !== undefined && (typeof m.artifactType !== 'string' || !m.artifactType)) invalid('artifactType must be a non-empty string');
  const subject = m.subject === undefined || m.subject === null ? undefined : descriptor(m.subject, 'subject');
  const annotations = annotationsOf(m.annotations, 'annotations');

  if (kind === 'image') {
    const config = descriptor(m.config, 'config');
    if (!Array.isArray(m.layers)) invalid('layers must be a list of descriptors');
    const layers = m.layers.map((l, i) => descriptor(l, `layers[${i}]`));
    return {
      mediaType,
      kind,
      blobDigests: [config, ...layers].filter((d) => !d.urls?.length).map((d) => d.digest),
      childDigests: [],
      subjectDigest: subject?.digest,
      artifactType: (m.artifactType as string | undefined) ?? config.mediaType,
      annotations,
    };
  }
  if (!Array.isArray(m.manifests)) invalid('manifests must be a list of descriptors');
  const children = m.manifests.map((c, i) => descriptor(c, `manifests[${i}]`));
  return {
    mediaType,
    kind,
    blobDigests: [],
    childDigests: children.map((c) => c.digest),
    subjectDigest: subject?.digest,
    artifactType: m.artifactType as string | undefined,
    annotations,
  };
}
