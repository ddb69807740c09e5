// Validation of every request value that names something: repository names, tags and
// digests. These run before any I/O, so a bad value can never reach SQL or a file path.
import { RegistryError } from './registryErrors.js';

// distribution-spec: [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*
const nameRe = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const tagRe = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
export const maxNameLength = 255;

export type DigestAlgorithm = 'sha256' | 'sha512';
const digestHexLength: Record<DigestAlgorithm, number> = { sha256: 64, sha512: 128 };
const digestRe = /^(sha256|sha512):([a-f0-9]+)$/;
const anyDigestShape = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export function isValidName(name: string): boolean {
  return name.length <= maxNameLength && nameRe.test(name);
}

export function assertName(name: string): string {
  if (!isValidName(name)) {
    throw new RegistryError('NAME_INVALID', `invalid repository name: ${JSON.stringify(name.slice(0, 300))}`, { name: name.slice(0, 300) });
  }
  return name;
}

export function isTag(ref: string): boolean {
  return tagRe.test(ref);
}

export function assertTag(tag: string): string {
  if (!tagRe.test(tag)) throw new RegistryError('TAG_INVALID', `invalid tag: ${JSON.stringify(tag.slice(0, 200))}`, { tag: tag.slice(0, 200) });
  return tag;
}

export interface ParsedDigest {
  digest: string;
  algorithm: DigestAlgorithm;
  hex: string;
}

export function parseDigest(digest: string): ParsedDigest | undefined {
  const m = digestRe.exec(digest);
  if (!m) return undefined;
  const algorithm = m[1] as DigestAlgorithm;
  if (m[2].length !== digestHexLength[algorithm]) return undefined;
  return { digest, algorithm, hex: m[2] };
}

export function assertDigest(digest: string): ParsedDigest {
  const parsed = parseDigest(digest);
  if (!parsed) {
    const known = anyDigestShape.test(digest) && !digestRe.test(digest);
    throw new RegistryError(
      'DIGEST_INVALID',
      known
        ? `unsupported digest algorithm in ${JSON.stringify(digest.slice(0, 200))}; use sha256 or sha512`
        : `invalid digest: ${JSON.stringify(digest.slice(0, 200))}`,
      { digest: digest.slice(0, 200) },
    );
  }
  return parsed;
}

/**
 * A manifest reference is a tag or a digest; anything else is TAG_INVALID (or DIGEST_INVALID
 * if it looks like a digest). Reads use parseReadReference instead.
 */
export function parseReference(ref: string): { tag: string } | { digest: ParsedDigest } {
  if (ref.includes(':')) return { digest: assertDigest(ref) };
  return { tag: assertTag(ref) };
}

/**
 * For GET/HEAD/DELETE: a reference that is not a valid tag cannot name anything stored, so it
 * is MANIFEST_UNKNOWN (404), as the distribution-spec conformance suite expects; it still
 * never reaches the database. Malformed digests remain DIGEST_INVALID.
 */
export function parseReadReference(ref: string): { tag: string } | { digest: ParsedDigest } {
  if (ref.includes(':')) return { digest: assertDigest(ref) };
  if (!tagRe.test(ref))
    throw new RegistryError('MANIFEST_UNKNOWN', `manifest ${JSON.stringify(ref.slice(0, 200))} unknown: not a valid tag or digest`, {
      reference: ref.slice(0, 200),
    });
  return { tag: ref };
}

/** The project a repository belongs to: its first path component. */
export function projectOf(repository: string): string | undefined {
  const i = repository.indexOf('/');
  return i > 0 ? repository.slice(0, i) : undefined;
}
