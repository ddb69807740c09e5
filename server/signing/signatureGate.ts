// The signature half of the pull gate (registry/pullGate.ts): in a project that requires
// signatures, an image or index is served only when a cosign signature of its digest (or of
// an index of the repository listing it, since cosign signs what was pushed and clients
// fetch an index's images by digest) verifies with one of the project's trusted keys.
// Verdicts are cached per digest under what they were made from: the signature manifests
// found (one indexed query per pull) and the project's keys_version, so a new or deleted
// signature counts at once, and a key change as soon as the keys are next read.
import { createPublicKey } from 'node:crypto';
import type { Queryer } from '../db/database.js';
import { listSigningKeys, signatureCandidates } from '../db/projectSigningKeys.js';
import type { BlobStore } from '../storage/blobStore.js';
import { verifyCosignManifest, type TrustedKey } from './cosign.js';

const maxCached = 10_000;

export class SignatureGate {
  private readonly verdicts = new Map<string, string | undefined>();
  private readonly keys = new Map<number, { version: number; keys: TrustedKey[] }>();

  constructor(private readonly store: Pick<BlobStore, 'read'>) {}

  private async keysOf(q: Queryer, projectId: number, version: number): Promise<TrustedKey[]> {
    const hit = this.keys.get(projectId);
    if (hit?.version === version) return hit.keys;
    const keys = (await listSigningKeys(q, projectId)).map((k) => ({ name: k.name, key: createPublicKey(k.public_key_pem) }));
    this.keys.set(projectId, { version, keys });
    return keys;
  }

  /** Why this manifest may not be pulled unsigned, or undefined when a trusted signature covers it. */
  async refusal(q: Queryer, project: { id: number; name: string }, repository: string, digest: string): Promise<string | undefined> {
    const candidates = await signatureCandidates(q, repository, digest);
    if (!candidates.length) return `${digest} has no cosign signature and project ${project.name} requires signed images`;
    const version = candidates[0].keys_version;
    const key = `${repository}@${digest}|${version}|${candidates.map((c) => `${c.signed}:${c.digest}`).join(',')}`;
    if (this.verdicts.has(key)) return this.verdicts.get(key);
    const keys = await this.keysOf(q, project.id, version);
    let verdict: string | undefined = keys.length
      ? `no signature of ${digest} verifies with a trusted key of project ${project.name}`
      : `project ${project.name} requires signed images but trusts no key`;
    if (keys.length) {
      for (const c of candidates) {
        const result = await verifyCosignManifest(this.store, c.payload, c.signed, keys);
        if ('key' in result) {
          verdict = undefined;
          break;
        }
        verdict = `${digest}: ${result.why}`;
      }
    }
    if (this.verdicts.size >= maxCached) this.verdicts.clear();
    this.verdicts.set(key, verdict);
    return verdict;
  }
}
