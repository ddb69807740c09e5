// Builds a multi-layer OCI image in memory, so a test knows every digest before any
// client touches it: what the client pushes and pulls can be checked against these.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { LayerFiles } from './content.js';
import { MEDIA, sha256 } from './registryApi.js';
import { entriesFor, tarball } from './tar.js';

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export interface OciImage {
  manifest: Buffer;
  manifestDigest: string;
  configDigest: string;
  layerDigests: string[];
  /** Every blob by digest: config and compressed layers. */
  blobs: Map<string, Buffer>;
}

function descriptor(mediaType: string, data: Buffer): Descriptor {
  return { mediaType, digest: sha256(data), size: data.length };
}

export function buildOciImage(layers: LayerFiles[], architecture = 'amd64'): OciImage {
  const blobs = new Map<string, Buffer>();
  const diffIds: string[] = [];
  const layerDescs: Descriptor[] = [];
  for (const files of layers) {
    const tar = tarball(entriesFor(files));
    const gz = gzipSync(tar);
    diffIds.push(sha256(tar));
    const d = descriptor('application/vnd.oci.image.layer.v1.tar+gzip', gz);
    layerDescs.push(d);
    blobs.set(d.digest, gz);
  }
  const config = Buffer.from(
    JSON.stringify({
      architecture,
      os: 'linux',
      config: { Cmd: ['/nothing'] },
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: layers.map((_, i) => ({ created_by: `berth e2e layer ${i + 1}` })),
    }),
  );
  const configDesc = descriptor('application/vnd.oci.image.config.v1+json', config);
  blobs.set(configDesc.digest, config);
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config: configDesc, layers: layerDescs }));
  return {
    manifest,
    manifestDigest: sha256(manifest),
    configDigest: configDesc.digest,
    layerDigests: layerDescs.map((d) => d.digest),
    blobs,
  };
}

/** The files of an OCI image layout holding `image` under the given annotations. */
function layoutFiles(image: OciImage, annotations: Record<string, string>): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  files.set('oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })));
  const index = {
    schemaVersion: 2,
    manifests: [{ ...descriptor(MEDIA.ociManifest, image.manifest), annotations }],
  };
  files.set('index.json', Buffer.from(JSON.stringify(index)));
  for (const [digest, data] of [...image.blobs, [image.manifestDigest, image.manifest] as const]) {
    files.set(`blobs/sha256/${digest.slice('sha256:'.length)}`, data);
  }
  return files;
}

/** Writes an OCI layout directory (as `oci:<dir>:<tag>` in containers/image terms). */
export async function writeOciLayout(dir: string, image: OciImage, tag: string): Promise<void> {
  for (const [rel, data] of layoutFiles(image, { 'org.opencontainers.image.ref.name': tag })) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), data);
  }
}

/** An OCI layout as one tarball, named so that `ctr images import` registers `imageName`. */
export function ociArchive(image: OciImage, imageName: string): Buffer {
  const tag = imageName.slice(imageName.lastIndexOf(':') + 1);
  return tarball(entriesFor(layoutFiles(image, { 'io.containerd.image.name': imageName, 'org.opencontainers.image.ref.name': tag })));
}
