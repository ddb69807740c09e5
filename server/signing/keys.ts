// A project's trusted signing keys (PEM public keys: ECDSA P-256, Ed25519, RSA of 2048 bits
// or more), which the signature gate verifies cosign signatures with. Members read them;
// project administrators add and remove them.
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { recordAudit } from '../audit/record.js';
import type { Database } from '../db/database.js';
import { listSigningKeys, removeSigningKey, saveSigningKey, type SigningKeyRow } from '../db/projectSigningKeys.js';
import { DomainError } from '../lib/errors.js';
import type { Principal } from '../lib/principal.js';
import { can } from '../projects/permissions.js';
import { visibleProject } from '../projects/projects.js';

export interface SigningKeyView {
  id: number;
  name: string;
  algorithm: string;
  fingerprint: string;
  public_key: string;
  creation_time: string;
}

const nameRe = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,127}$/;

export function keyView(r: SigningKeyRow): SigningKeyView {
  return {
    id: r.id,
    name: r.name,
    algorithm: r.algorithm,
    fingerprint: r.fingerprint,
    public_key: r.public_key_pem,
    creation_time: r.created_at.toISOString(),
  };
}

/** The key, its algorithm and its fingerprint (SHA-256 of the DER SubjectPublicKeyInfo), or INVALID saying why. */
export function parsePublicKey(pem: unknown): { key: KeyObject; algorithm: string; fingerprint: string; pem: string } {
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN PUBLIC KEY-----') || pem.length > 16_384)
    throw new DomainError('INVALID', 'public_key must be a PEM public key ("-----BEGIN PUBLIC KEY-----"), as cosign.pub holds');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (err) {
    throw new DomainError('INVALID', `public_key cannot be read: ${(err as Error).message}`);
  }
  const details = key.asymmetricKeyDetails ?? {};
  let algorithm: string;
  if (key.asymmetricKeyType === 'ec' && details.namedCurve === 'prime256v1') algorithm = 'ecdsa-p256';
  else if (key.asymmetricKeyType === 'ed25519') algorithm = 'ed25519';
  else if (key.asymmetricKeyType === 'rsa' && (details.modulusLength ?? 0) >= 2048) algorithm = 'rsa';
  else throw new DomainError('INVALID', 'public_key must be ECDSA P-256, Ed25519, or RSA of at least 2048 bits');
  const der = key.export({ type: 'spki', format: 'der' });
  return {
    key,
    algorithm,
    fingerprint: `sha256:${createHash('sha256').update(der).digest('hex')}`,
    pem: key.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export async function listProjectKeys(db: Database, principal: Principal, ref: string, byName: boolean): Promise<SigningKeyView[]> {
  const { project, access } = await visibleProject(db, principal, ref, byName);
  if (!can(access, '', 'read')) throw new DomainError('DENIED', `reading the keys of ${project.name} is not allowed for you`);
  return (await listSigningKeys(db, project.project_id)).map(keyView);
}

/** POST /projects/{p}/signing-keys {name, public_key}: the new key's id. */
export async function addProjectKey(
  db: Database,
  principal: Principal,
  ref: string,
  byName: boolean,
  input: { name?: unknown; public_key?: unknown },
): Promise<number> {
  const { project, access } = await visibleProject(db, principal, ref, byName);
  if (!can(access, '', 'update')) throw new DomainError('DENIED', `adding a signing key to ${project.name} needs the project admin role`);
  if (typeof input?.name !== 'string' || !nameRe.test(input.name))
    throw new DomainError('INVALID', 'name is required: 1 to 128 letters, digits, spaces, ".", "_" or "-"');
  const name = input.name;
  const k = parsePublicKey(input.public_key);
  return db.tx(async (q) => {
    const id = await saveSigningKey(q, { projectId: project.project_id, name, algorithm: k.algorithm, pem: k.pem, fingerprint: k.fingerprint });
    if (id === undefined) throw new DomainError('CONFLICT', `project ${project.name} already has a key named ${name} or the key ${k.fingerprint}`);
    await recordAudit(q, {
      operation: 'create',
      resourceType: 'signing_key',
      resource: `${project.name} ${name} ${k.algorithm} ${k.fingerprint}`,
      projectName: project.name,
      projectId: project.project_id,
    });
    return id;
  });
}

export async function deleteProjectKey(db: Database, principal: Principal, ref: string, byName: boolean, keyId: string): Promise<void> {
  const { project, access } = await visibleProject(db, principal, ref, byName);
  if (!can(access, '', 'update')) throw new DomainError('DENIED', `removing a signing key of ${project.name} needs the project admin role`);
  await db.tx(async (q) => {
    const gone = /^\d{1,15}$/.test(keyId) ? await removeSigningKey(q, project.project_id, Number(keyId)) : undefined;
    if (!gone) throw new DomainError('NOT_FOUND', `signing key ${keyId.slice(0, 50)} not found in ${project.name}`);
    await recordAudit(q, {
      operation: 'delete',
      resourceType: 'signing_key',
      resource: `${project.name} ${gone.name} ${gone.fingerprint}`,
      projectName: project.name,
      projectId: project.project_id,
    });
  });
}
