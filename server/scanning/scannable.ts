// Which artifacts a vulnerability scanner is given: container images only. Signatures,
// SBOMs and attestations (a subject, or layers that are not filesystems), Helm charts and
// other artifacts (their own config types) are neither scanned nor held back by the gate.
import { imageLayerMediaType, manifestKinds, mediaTypes } from '../registry/mediaTypes.js';

const imageConfigTypes: ReadonlySet<string> = new Set([mediaTypes.ociConfig, mediaTypes.dockerConfig]);

export const imageManifestTypes = Object.keys(manifestKinds).filter((t) => manifestKinds[t] === 'image');

export function isScannable(mediaType: string, payload: Buffer): boolean {
  if (manifestKinds[mediaType] !== 'image') return false;
  try {
    const doc = JSON.parse(payload.toString('utf8')) as { subject?: unknown; config?: { mediaType?: string }; layers?: Array<{ mediaType?: string }> };
    if (doc.subject) return false;
    if (!imageConfigTypes.has(doc.config?.mediaType ?? '')) return false;
    const layers = doc.layers ?? [];
    return layers.length > 0 && layers.every((l) => imageLayerMediaType.test(l.mediaType ?? ''));
  } catch {
    return false;
  }
}
