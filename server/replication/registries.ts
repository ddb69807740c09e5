// The registries replication talks to (Harbor's /api/v2.0/registries): system
// administrators create, edit, ping and delete them. The secret is sealed before it is
// stored and never leaves the server again: reads show it as "*****".
import { DomainError } from '../lib/errors.js';
import type { Paging } from '../lib/query.js';
import { requireAdmin, type Principal } from '../lib/principal.js';
import { recordAudit } from '../audit/record.js';
import type { Database } from '../db/database.js';
import {
  findRegistry,
  listRegistries,
  removeRegistry,
  saveRegistry,
  setRegistryStatus,
  updateRegistry,
  type RegistryFields,
  type RegistryRow,
} from '../db/registries.js';
import { countPoliciesUsing } from '../db/replicationPolicies.js';
import { adapterInfos, isRegistryType, registryTypes, type RegistryType } from './adapters.js';
import { pingRemote, RemoteError, type RemoteRegistry } from './remote.js';
import type { SecretBox } from './secretBox.js';
import { neverTime } from '../lib/times.js';
import type { QueueHandle } from './queue.js';
import { checkTargetUrl, TargetRefused, type AllowedNetworks } from './targets.js';
import type { RegistryView } from '../lib/harborTypes.js';

export interface ReplicationDeps {
  db: Database;
  box: SecretBox;
  allow: AllowedNetworks;
  /** Where executions are queued for the workers. */
  queue?: QueueHandle;
}

export const maskedSecret = '*****';

export function registryView(r: RegistryRow): RegistryView {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    type: r.type,
    url: r.url,
    insecure: r.insecure,
    credential: { type: r.credential_type, access_key: r.access_key ?? '', access_secret: r.access_secret_enc ? maskedSecret : '' },
    status: r.status,
    creation_time: new Date(r.created_at).toISOString(),
    update_time: new Date(r.updated_at).toISOString(),
  };
}

/**
 * This Berth as the local side of a rule: Harbor fills src_registry of a push rule and
 * dest_registry of a pull rule with id 0, "Local", and takes id 0 back as this registry.
 */
export const localRegistryView: RegistryView = Object.freeze({
  id: 0,
  name: 'Local',
  description: '',
  type: 'berth',
  url: '',
  insecure: false,
  credential: Object.freeze({ type: '', access_key: '', access_secret: '' }),
  status: 'healthy',
  creation_time: neverTime,
  update_time: neverTime,
});

/** Harbor's create body: {name, type, url, description, insecure, credential: {type, access_key, access_secret}}. */
export interface RegistryInput {
  name?: unknown;
  type?: unknown;
  url?: unknown;
  description?: unknown;
  insecure?: unknown;
  credential?: { type?: unknown; access_key?: unknown; access_secret?: unknown };
  // Harbor's update body flattens the credential.
  credential_type?: unknown;
  access_key?: unknown;
  access_secret?: unknown;
}

const nameRe = /^[\w.-][\w .-]{0,254}$/;

function str(v: unknown, what: string, max: number): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > max) throw new DomainError('INVALID', `${what} must be a string of at most ${max} characters`);
  return v;
}

/** Merges input over a stored registry (or nothing) and checks the result. */
async function fields(deps: ReplicationDeps, input: RegistryInput, stored?: RegistryRow): Promise<RegistryFields> {
  const name = str(input.name, 'name', 255) ?? stored?.name;
  if (!name || !nameRe.test(name)) throw new DomainError('INVALID', 'name is required: 1 to 255 letters, digits, spaces, ".", "_" or "-"');
  const type = input.type ?? stored?.type;
  if (!isRegistryType(type)) throw new DomainError('INVALID', `type must be one of ${registryTypes.join(', ')}`);
  const url = (str(input.url, 'url', 2048) ?? stored?.url)?.replace(/\/+$/, '');
  if (!url) throw new DomainError('INVALID', 'url is required');
  await checkUrl(deps, url);
  const insecure = input.insecure ?? stored?.insecure ?? false;
  if (typeof insecure !== 'boolean') throw new DomainError('INVALID', 'insecure must be true or false');
  const credentialType = input.credential?.type ?? input.credential_type;
  if (credentialType !== undefined && credentialType !== 'basic') throw new DomainError('INVALID', 'credential type must be basic');
  const accessKey = str(input.credential?.access_key ?? input.access_key, 'access_key', 255);
  const accessSecret = str(input.credential?.access_secret ?? input.access_secret, 'access_secret', 4096);
  // Clients echo the masked secret back on update: that means "keep the stored one".
  const keepSecret = accessSecret === undefined || accessSecret === maskedSecret;
  const key = accessKey ?? stored?.access_key ?? null;
  const sealed = keepSecret ? (stored?.access_secret_enc ?? null) : accessSecret === '' ? null : deps.box.seal(accessSecret);
  if (!key !== !sealed) throw new DomainError('INVALID', 'give both access_key and access_secret, or neither');
  return {
    name,
    type,
    url,
    insecure,
    description: str(input.description, 'description', 1024) ?? stored?.description ?? '',
    accessKey: key || null,
    accessSecretEnc: sealed,
  };
}

async function checkUrl(deps: ReplicationDeps, url: string): Promise<void> {
  try {
    await checkTargetUrl(url, deps.allow);
  } catch (err) {
    if (err instanceof TargetRefused) throw new DomainError('INVALID', `url refused: ${err.message}`);
    throw err;
  }
}

async function stored(deps: ReplicationDeps, id: string): Promise<RegistryRow> {
  const row = /^\d{1,15}$/.test(id) ? await findRegistry(deps.db, Number(id)) : undefined;
  if (!row) throw new DomainError('NOT_FOUND', `registry ${id.slice(0, 50)} not found`);
  return row;
}

export async function createRegistry(deps: ReplicationDeps, principal: Principal, input: RegistryInput): Promise<number> {
  requireAdmin(principal, 'only system administrators manage registries');
  const f = await fields(deps, input);
  return deps.db.tx(async (q) => {
    const id = await saveRegistry(q, f);
    if (id === undefined) throw new DomainError('CONFLICT', `a registry named ${f.name} already exists`);
    await recordAudit(q, { operation: 'create', resourceType: 'registry', resource: `${f.name} ${f.url}` });
    return id;
  });
}

export async function getRegistry(deps: ReplicationDeps, principal: Principal, id: string): Promise<RegistryView> {
  requireAdmin(principal, 'only system administrators manage registries');
  return registryView(await stored(deps, id));
}

/** GET /registries/{id}/info: what rules with this registry can use (Harbor's RegistryInfo). */
export async function getRegistryInfo(deps: ReplicationDeps, principal: Principal, id: string) {
  requireAdmin(principal, 'only system administrators manage registries');
  const row = await stored(deps, id);
  const { type, description, supported_resource_filters, supported_triggers } = adapterInfos()[row.type as RegistryType];
  return { type, description, supported_resource_filters, supported_triggers };
}

export async function listRegistriesFor(deps: ReplicationDeps, principal: Principal, nameContains: string | undefined, paging: Paging) {
  requireAdmin(principal, 'only system administrators manage registries');
  const { rows, total } = await listRegistries(deps.db, nameContains, paging.pageSize, paging.offset);
  return { items: rows.map(registryView), total };
}

export async function editRegistry(deps: ReplicationDeps, principal: Principal, id: string, input: RegistryInput): Promise<void> {
  requireAdmin(principal, 'only system administrators manage registries');
  const row = await stored(deps, id);
  const f = await fields(deps, input, row);
  await deps.db.tx(async (q) => {
    if (!(await updateRegistry(q, row.id, f))) throw new DomainError('CONFLICT', `a registry named ${f.name} already exists`);
    await recordAudit(q, { operation: 'update', resourceType: 'registry', resource: `${f.name} ${f.url}` });
  });
}

export async function deleteRegistry(deps: ReplicationDeps, principal: Principal, id: string): Promise<void> {
  requireAdmin(principal, 'only system administrators manage registries');
  const row = await stored(deps, id);
  await deps.db.tx(async (q) => {
    const rules = await countPoliciesUsing(q, row.id);
    if (rules) throw new DomainError('CONFLICT', `registry ${row.name} is used by ${rules} replication rule(s); delete or change them first`);
    if (!(await removeRegistry(q, row.id))) throw new DomainError('NOT_FOUND', `registry ${id} not found`);
    await recordAudit(q, { operation: 'delete', resourceType: 'registry', resource: `${row.name} ${row.url}` });
  });
}

/** The stored registry as the replication code connects to it (the secret unsealed). */
export function remoteOf(deps: ReplicationDeps, row: Pick<RegistryRow, 'url' | 'insecure' | 'access_key' | 'access_secret_enc'>): RemoteRegistry {
  return {
    url: row.url,
    insecure: row.insecure,
    credential: row.access_key && row.access_secret_enc ? { username: row.access_key, password: deps.box.open(row.access_secret_enc) } : undefined,
  };
}

/**
 * POST /registries/ping: {id} pings a stored registry (and records its status); other
 * fields override the stored ones or, without an id, describe a registry not saved yet.
 */
export async function pingRegistry(deps: ReplicationDeps, principal: Principal, input: RegistryInput & { id?: unknown }): Promise<void> {
  requireAdmin(principal, 'only system administrators manage registries');
  if (input.id !== undefined && (typeof input.id !== 'number' || !Number.isSafeInteger(input.id))) throw new DomainError('INVALID', 'id must be a registry id');
  const row = input.id !== undefined ? await stored(deps, String(input.id)) : undefined;
  const f = await fields(deps, { ...input, name: input.name ?? row?.name ?? 'ping' }, row);
  const remote = remoteOf(deps, { url: f.url, insecure: f.insecure, access_key: f.accessKey, access_secret_enc: f.accessSecretEnc });
  try {
    await pingRemote(remote, deps.allow);
    if (row) await setRegistryStatus(deps.db, row.id, 'healthy');
  } catch (err) {
    if (!(err instanceof RemoteError) && !(err instanceof TargetRefused)) throw err;
    if (row) await setRegistryStatus(deps.db, row.id, 'unhealthy');
    throw new DomainError('INVALID', `ping failed: ${err.message}`);
  }
}
