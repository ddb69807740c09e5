// Scanner registrations (Harbor's /api/v2.0/scanners): system administrators add, edit,
// ping, make default and delete them; a project may pick its own (/projects/{p}/scanner).
// The access credential is sealed like a remote registry's secret and never shown again.
import { randomUUID } from 'node:crypto';
import { recordAudit } from '../audit/record.js';
import type { Database } from '../db/database.js';
import {
  findScannerByUuid,
  listScanners,
  removeScanner,
  saveScanner,
  scannerClash,
  scannerOfProject,
  setDefaultScanner,
  setProjectScanner,
  updateScanner,
  type ScannerFields,
  type ScannerRow,
} from '../db/scanners.js';
import { DomainError } from '../lib/errors.js';
import type { ScannerMetadataView, ScannerRegistrationView } from '../lib/harborTypes.js';
import { requireAdmin, type Principal } from '../lib/principal.js';
import type { Paging } from '../lib/query.js';
import { can } from '../projects/permissions.js';
import { visibleProject } from '../projects/projects.js';
import { maskedSecret } from '../replication/registries.js';
import type { SecretBox } from '../replication/secretBox.js';
import { checkTargetUrl, TargetRefused, type AllowedNetworks } from '../replication/targets.js';
import { AdapterError, fetchMetadata, type AdapterEndpoint } from './adapterClient.js';

export interface ScannerDeps {
  db: Database;
  box: SecretBox;
  allow: AllowedNetworks;
}

const admins = 'only system administrators manage scanners';
const authTypes = ['', 'Basic', 'Bearer', 'X-ScannerAdapter-API-Key'] as const;
const nameRe = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,254}$/;

export interface ScannerInput {
  name?: unknown;
  description?: unknown;
  url?: unknown;
  auth?: unknown;
  access_credential?: unknown;
  skip_cert_verify?: unknown;
  /** Harbor's request spells it so. */
  skip_certVerify?: unknown;
  use_internal_addr?: unknown;
  disabled?: unknown;
}

export function scannerView(r: ScannerRow): ScannerRegistrationView {
  return {
    uuid: r.uuid,
    name: r.name,
    description: r.description,
    url: r.url,
    disabled: r.disabled,
    is_default: r.is_default,
    auth: r.auth,
    access_credential: r.access_credential_enc ? maskedSecret : '',
    skip_cert_verify: r.skip_cert_verify,
    use_internal_addr: r.use_internal_addr,
    create_time: r.created_at.toISOString(),
    update_time: r.updated_at.toISOString(),
  };
}

/** How to reach a registration's adapter, its credential opened. */
export function endpointOf(box: SecretBox, r: ScannerRow): AdapterEndpoint {
  return { url: r.url, auth: r.auth, credential: r.access_credential_enc ? box.open(r.access_credential_enc) : undefined, skipCertVerify: r.skip_cert_verify };
}

function flag(v: unknown, what: string, fallback: boolean): boolean {
  if (v === undefined) return fallback;
  if (typeof v !== 'boolean') throw new DomainError('INVALID', `${what} must be true or false`);
  return v;
}

/** The fields of a registration from Harbor's ScannerRegistrationReq; `old` supplies what an edit leaves out. */
async function parseInput(deps: ScannerDeps, input: ScannerInput, old?: ScannerRow): Promise<ScannerFields> {
  const name = input.name ?? old?.name;
  if (typeof name !== 'string' || !nameRe.test(name)) throw new DomainError('INVALID', 'name is required: 1 to 255 letters, digits, spaces, ".", "_" or "-"');
  const description = input.description ?? old?.description ?? '';
  if (typeof description !== 'string' || description.length > 1024) throw new DomainError('INVALID', 'description must be a string of at most 1024 characters');
  const url = input.url ?? old?.url;
  if (typeof url !== 'string' || !url) throw new DomainError('INVALID', "url is required: the adapter's base URL, e.g. http://trivy-adapter:8080");
  try {
    await checkTargetUrl(url, deps.allow);
  } catch (err) {
    if (err instanceof TargetRefused) throw new DomainError('INVALID', `url refused: ${err.message}`);
    throw err;
  }
  const auth = input.auth ?? old?.auth ?? '';
  if (!authTypes.includes(auth as (typeof authTypes)[number])) throw new DomainError('INVALID', `auth must be one of "", ${authTypes.slice(1).join(', ')}`);
  let sealed = old?.access_credential_enc ?? null;
  const credential = input.access_credential;
  if (credential !== undefined && credential !== maskedSecret) {
    if (typeof credential !== 'string' || credential.length > 4096) throw new DomainError('INVALID', 'access_credential must be a string');
    sealed = credential ? deps.box.seal(credential) : null;
  }
  if (auth && !sealed) throw new DomainError('INVALID', `auth ${auth} needs an access_credential`);
  return {
    name,
    description,
    url: url.replace(/\/+$/, ''),
    auth: auth as string,
    accessCredentialEnc: auth ? sealed : null,
    skipCertVerify: flag(input.skip_cert_verify ?? input.skip_certVerify, 'skip_cert_verify', old?.skip_cert_verify ?? false),
    useInternalAddr: flag(input.use_internal_addr, 'use_internal_addr', old?.use_internal_addr ?? false),
    disabled: flag(input.disabled, 'disabled', old?.disabled ?? false),
  };
}

async function stored(db: Database, uuid: string): Promise<ScannerRow> {
  const row = /^[0-9a-f-]{36}$/.test(uuid) ? await findScannerByUuid(db, uuid) : undefined;
  if (!row) throw new DomainError('NOT_FOUND', `scanner ${uuid.slice(0, 50)} not found`);
  return row;
}

function clashError(which: 'name' | 'url', f: ScannerFields): DomainError {
  return new DomainError('CONFLICT', which === 'name' ? `a scanner named ${f.name} already exists` : `a scanner at ${f.url} is already registered`);
}

export async function listScannerRegistrations(db: Database, principal: Principal, paging: Paging) {
  requireAdmin(principal, admins);
  const { rows, total } = await listScanners(db, paging.pageSize, paging.offset);
  return { items: rows.map(scannerView), total };
}

/** POST /scanners: returns the new registration's uuid. The first one registered is the default. */
export async function createScannerRegistration(deps: ScannerDeps, principal: Principal, input: ScannerInput): Promise<string> {
  requireAdmin(principal, admins);
  const f = await parseInput(deps, input ?? {});
  return deps.db.tx(async (q) => {
    const clash = await scannerClash(q, f);
    if (clash) throw clashError(clash, f);
    const row = await saveScanner(q, randomUUID(), f);
    await recordAudit(q, { operation: 'create', resourceType: 'scanner', resource: `${f.name} ${f.url}` });
    return row.uuid;
  });
}

export async function getScannerRegistration(db: Database, principal: Principal, uuid: string): Promise<ScannerRegistrationView> {
  requireAdmin(principal, admins);
  return scannerView(await stored(db, uuid));
}

export async function updateScannerRegistration(deps: ScannerDeps, principal: Principal, uuid: string, input: ScannerInput): Promise<void> {
  requireAdmin(principal, admins);
  const old = await stored(deps.db, uuid);
  const f = await parseInput(deps, input ?? {}, old);
  await deps.db.tx(async (q) => {
    const clash = await scannerClash(q, f, old.id);
    if (clash) throw clashError(clash, f);
    await updateScanner(q, old.id, f);
    await recordAudit(q, { operation: 'update', resourceType: 'scanner', resource: `${f.name} ${f.url}${f.disabled ? ' disabled' : ''}` });
  });
}

/** DELETE /scanners/{uuid}: answers the deleted registration, as Harbor does. The default goes last. */
export async function deleteScannerRegistration(db: Database, principal: Principal, uuid: string): Promise<ScannerRegistrationView> {
  requireAdmin(principal, admins);
  const row = await stored(db, uuid);
  return db.tx(async (q) => {
    if (row.is_default && (await listScanners(q, 2, 0)).total > 1)
      throw new DomainError('PRECONDITION_FAILED', `scanner ${row.name} is the default; make another scanner the default first`);
    await removeScanner(q, row.id);
    await recordAudit(q, { operation: 'delete', resourceType: 'scanner', resource: `${row.name} ${row.url}` });
    return scannerView(row);
  });
}

/** PATCH /scanners/{uuid} {is_default: true}. */
export async function setDefaultScannerRegistration(db: Database, principal: Principal, uuid: string, input: { is_default?: unknown }): Promise<void> {
  requireAdmin(principal, admins);
  if (input?.is_default !== true) throw new DomainError('INVALID', 'is_default must be true: make another scanner the default to change it');
  const row = await stored(db, uuid);
  await db.tx(async (q) => {
    await setDefaultScanner(q, row.id);
    await recordAudit(q, { operation: 'update', resourceType: 'scanner', resource: `${row.name} is_default=true` });
  });
}

async function metadataOf(endpoint: AdapterEndpoint, allow: AllowedNetworks): Promise<ScannerMetadataView> {
  try {
    return await fetchMetadata(endpoint, allow);
  } catch (err) {
    if (err instanceof AdapterError) throw new DomainError('UNPROCESSABLE', err.message);
    throw err;
  }
}

/** GET /scanners/{uuid}/metadata: the adapter's own answer. */
export async function scannerMetadata(deps: ScannerDeps, principal: Principal, uuid: string): Promise<ScannerMetadataView> {
  requireAdmin(principal, admins);
  return metadataOf(endpointOf(deps.box, await stored(deps.db, uuid)), deps.allow);
}

/** POST /scanners/ping: fetches the metadata of the adapter the settings describe, before they are saved. */
export async function pingScanner(deps: ScannerDeps, principal: Principal, input: ScannerInput): Promise<ScannerMetadataView> {
  requireAdmin(principal, admins);
  const f = await parseInput(deps, { name: 'ping', ...input });
  return metadataOf(
    { url: f.url, auth: f.auth, credential: f.accessCredentialEnc ? deps.box.open(f.accessCredentialEnc) : undefined, skipCertVerify: f.skipCertVerify },
    deps.allow,
  );
}

/** GET /projects/{p}/scanner: the project's scanner, its own or the default (404 when there is none). */
export async function getProjectScanner(db: Database, principal: Principal, ref: string, byName: boolean): Promise<ScannerRegistrationView> {
  const { project, access } = await visibleProject(db, principal, ref, byName);
  if (!can(access, 'scanner', 'read')) throw new DomainError('DENIED', `reading the scanner of ${project.name} is not allowed for you`);
  const row = await scannerOfProject(db, project.project_id);
  if (!row) throw new DomainError('NOT_FOUND', 'no scanner is registered: a system administrator adds one under Interrogation Services');
  return scannerView(row);
}

/** PUT /projects/{p}/scanner {uuid}: project admins. */
export async function setProjectScannerRegistration(
  db: Database,
  principal: Principal,
  ref: string,
  byName: boolean,
  input: { uuid?: unknown },
): Promise<void> {
  const { project, access } = await visibleProject(db, principal, ref, byName);
  if (!can(access, 'scanner', 'create')) throw new DomainError('DENIED', `setting the scanner of ${project.name} needs the project admin role`);
  if (typeof input?.uuid !== 'string') throw new DomainError('INVALID', "uuid is required: the scanner registration's uuid");
  const row = await findScannerByUuid(db, input.uuid);
  if (!row) throw new DomainError('NOT_FOUND', `scanner ${input.uuid.slice(0, 50)} not found`);
  await db.tx(async (q) => {
    await setProjectScanner(q, project.project_id, row.id);
    await recordAudit(q, {
      operation: 'update',
      resourceType: 'project',
      resource: `${project.name} scanner=${row.name}`,
      projectName: project.name,
      projectId: project.project_id,
    });
  });
}

/** GET /projects/{p}/scanner/candidates: the registrations a project admin may choose from. */
export async function projectScannerCandidates(db: Database, principal: Principal, ref: string, byName: boolean, paging: Paging) {
  const { project, access } = await visibleProject(db, principal, ref, byName);
  if (!can(access, 'scanner', 'create')) throw new DomainError('DENIED', `choosing the scanner of ${project.name} needs the project admin role`);
  const { rows, total } = await listScanners(db, paging.pageSize, paging.offset);
  return { items: rows.map(scannerView), total };
}
