// Media types Berth understands, one source of truth.
export const mediaTypes = {
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
} as const;

/** Filesystem layers of a container image (tar, maybe compressed; OCI and Docker names). */
export const imageLayerMediaType = /^application\/vnd\.(oci\.image\.layer(\.nondistributable)?\.v1\.tar|docker\.image\.rootfs\.(foreign\.)?diff\.tar)(\+|\.|$)/;

export type ManifestKind = 'image' | 'index';

/** Manifest media types Berth stores, and whether each is an image manifest or an index. */
export const manifestKinds: Record<string, ManifestKind> = {
  [mediaTypes.ociManifest]: 'image',
  [mediaTypes.dockerManifest]: 'image',
  [mediaTypes.ociIndex]: 'index',
  [mediaTypes.dockerManifestList]: 'index',
};

export const schema1MediaTypes: ReadonlySet<string> = new Set([mediaTypes.dockerSchema1, mediaTypes.dockerSchema1Signed]);

/** The maximum manifest body Berth accepts (the distribution-spec suggests registries accept at least 4 MiB). */
export const maxManifestBytes = 4 * 1024 * 1024;

// RFC 6838 section 4.2: type "/" subtype, each a restricted-name of at most 127 characters.
const mediaTypeShape = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$/;

/** Whether `value` is a media type without parameters (an artifactType filter, say). */
export function isMediaType(value: string): boolean {
  return mediaTypeShape.test(value);
}
