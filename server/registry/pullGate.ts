// The pull gate: a GET of a manifest (not HEAD) is refused with DENIED, the reason named
// and a failed pull audited, when the project says so — an image whose scan found what the
// project prevents (scanning/vulnerabilityGate.ts), or an image or index without a trusted
// cosign signature (signing/signatureGate.ts). Signatures, SBOMs, attestations and other
// artifacts that are not images stay pullable; so does everything for the scanner's own
// credential, or nothing could be scanned. Pushes never meet the gate.
import { recordLater } from '../audit/record.js';
import type { Database } from '../db/database.js';
import { findPullPolicy, type PullPolicyRow } from '../db/pullPolicies.js';
import type { Principal } from '../lib/principal.js';
import { projectOf } from '../lib/references.js';
import { RegistryError } from '../lib/registryErrors.js';
import { isScanCredentialName } from '../scanning/credentials.js';
import { isScannable } from '../scanning/scannable.js';
import { vulnerabilityRefusal } from '../scanning/vulnerabilityGate.js';
import { SignatureGate } from '../signing/signatureGate.js';
import type { BlobStore } from '../storage/blobStore.js';
import { manifestKinds } from './mediaTypes.js';

export interface GatedManifest {
  id: number;
  digest: string;
  mediaType: string;
  payload: Buffer;
}

/** A scan's own credential (or a token issued for it): never gated, and its pulls are not the artifact's pulls. */
export function isScanner(p: Principal): boolean {
  if (p.kind === 'robot') return isScanCredentialName(p.name);
  return p.kind === 'token' && isScanCredentialName(p.subject);
}

export class PullGate {
  // NOTE: a project's policy is read once per `cacheMs` per process (a token holder's
  // manifest GET otherwise makes no query about the project); a change reaches every
  // process within that.
  private readonly policies = new Map<string, { at: number; policy: PullPolicyRow | undefined }>();
  private readonly signatures: SignatureGate;

  constructor(
    private readonly db: Database,
    store: Pick<BlobStore, 'read'>,
    private readonly cacheMs = 2000,
  ) {
    this.signatures = new SignatureGate(store);
  }

  private async policyOf(project: string): Promise<PullPolicyRow | undefined> {
    const hit = this.policies.get(project);
    if (hit && Date.now() - hit.at < this.cacheMs) return hit.policy;
    const policy = await findPullPolicy(this.db, project);
    if (this.policies.size > 10_000) this.policies.clear();
    this.policies.set(project, { at: Date.now(), policy });
    return policy;
  }

  /** Throws DENIED when the principal may not have this manifest now; records the refusal. */
  async check(principal: Principal, repository: string, m: GatedManifest, tag: string | undefined): Promise<void> {
    const project = projectOf(repository);
    if (!project || isScanner(principal)) return;
    const policy = await this.policyOf(project);
    if (!policy || (!policy.prevent_vul && !policy.require_signature)) return;
    const image = isScannable(m.mediaType, m.payload);
    if (!image && manifestKinds[m.mediaType] !== 'index') return;
    const reason =
      (policy.require_signature ? await this.signatures.refusal(this.db, { id: policy.id, name: project }, repository, m.digest) : undefined) ??
      (policy.prevent_vul && image ? await vulnerabilityRefusal(this.db, policy, m) : undefined);
    if (!reason) return;
    recordLater({
      operation: 'pull',
      resourceType: 'artifact',
      resource: `${repository}${tag ? `:${tag}` : ''}@${m.digest}: ${reason}`.slice(0, 1024),
      projectName: project,
      ok: false,
      errorCode: 'DENIED',
    });
    throw new RegistryError('DENIED', reason, { name: repository, digest: m.digest });
  }
}
