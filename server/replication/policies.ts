// Replication rules (Harbor's /api/v2.0/replication/policies), managed by system
// administrators. A rule copies from this Berth to a registry (push) or from a registry to
// this Berth (pull), chosen by name and tag globs, on demand, on a cron schedule, or on
// every push to the source (push rules only). Executions and the worker build on these.
import { Cron } from 'croner';
import picomatch from 'picomatch';
import { DomainError } from '../lib/errors.js';
import type { Paging } from '../lib/query.js';
import { requireAdmin, type Principal } from '../lib/principal.js';
import { recordAudit } from '../audit/record.js';
import type { Queryer } from '../db/database.js';
import { findRegistries, findRegistry, type RegistryRow } from '../db/registries.js';
import { findPolicy, listPolicies, removePolicy, savePolicy, updatePolicy, type PolicyFields, type PolicyRow } from '../db/replicationPolicies.js';
import { localRegistryView, registryView, type ReplicationDeps } from './registries.js';
import type { PolicyFilter, PolicyTrigger, PolicyView, RegistryView } from '../lib/harborTypes.js';

const triggerTypes = ['manual', 'scheduled', 'event_based'] as const;
const filterTypes = ['name', 'tag', 'resource'] as const;
const namespaceRe = /^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;

export function nextRun(trigger: PolicyTrigger, enabled: boolean, from = new Date()): Date | null {
  if (!enabled || trigger.type !== 'scheduled') return null;
  return new Cron(trigger.trigger_settings.cron, { paused: true }).nextRun(from);
}

/** The rules as the API shows them, with their registries read in one query for all. */
async function views(q: Queryer, policies: PolicyRow[]): Promise<PolicyView[]> {
  const ids = [...new Set(policies.flatMap((p) => [p.src_registry_id, p.dest_registry_id]).filter((id): id is number => id !== null))];
  const registries = new Map((await findRegistries(q, ids)).map((r) => [r.id, registryView(r)]));
  return policies.map((p) => view(p, registries));
}

function view(p: PolicyRow, registries: Map<number, RegistryView>): PolicyView {
  const registry = (id: number | null) => (id === null ? localRegistryView : registries.get(id)!);
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    src_registry: registry(p.src_registry_id),
    dest_registry: registry(p.dest_registry_id),
    dest_namespace: p.dest_namespace,
    dest_namespace_replace_count: p.dest_namespace_replace_count,
    trigger: p.trig,
    filters: p.filters,
    replicate_deletion: p.replicate_deletion,
    deletion: p.replicate_deletion,
    override: p.override,
    enabled: p.enabled,
    speed: p.speed_kb,
    copy_by_chunk: p.copy_by_chunk,
    creation_time: new Date(p.created_at).toISOString(),
    update_time: new Date(p.updated_at).toISOString(),
    next_run_time: nextRun(p.trig, p.enabled)?.toISOString() ?? null,
  };
}

export interface PolicyInput {
  name?: unknown;
  description?: unknown;
  src_registry?: { id?: unknown } | null;
  dest_registry?: { id?: unknown } | null;
  dest_namespace?: unknown;
  dest_namespace_replace_count?: unknown;
  trigger?: { type?: unknown; trigger_settings?: { cron?: unknown } } | null;
  filters?: unknown;
  replicate_deletion?: unknown;
  deletion?: unknown;
  override?: unknown;
  enabled?: unknown;
  speed?: unknown;
  copy_by_chunk?: unknown;
}

const bad = (message: string) => new DomainError('INVALID', message);

function bool(v: unknown, what: string, fallback: boolean): boolean {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== 'boolean') throw bad(`${what} must be true or false`);
  return v;
}

/** A registry reference: undefined when absent (or Harbor's id 0, "this registry"). */
async function registryRef(q: Queryer, ref: { id?: unknown } | null | undefined, what: string): Promise<RegistryRow | undefined> {
  if (!ref || ref.id === undefined || ref.id === null || ref.id === 0) return undefined;
  if (typeof ref.id !== 'number' || !Number.isSafeInteger(ref.id)) throw bad(`${what}.id must be a registry id`);
  const row = await findRegistry(q, ref.id);
  if (!row) throw bad(`${what}: registry ${ref.id} does not exist`);
  return row;
}

function parseTrigger(input: PolicyInput['trigger'], stored: PolicyTrigger | undefined): PolicyTrigger {
  if (input === undefined || input === null) return stored ?? { type: 'manual', trigger_settings: { cron: '' } };
  const type = input.type ?? 'manual';
  if (!(triggerTypes as readonly unknown[]).includes(type)) throw bad(`trigger.type must be one of ${triggerTypes.join(', ')}`);
  const cron = input.trigger_settings?.cron ?? '';
  if (typeof cron !== 'string') throw bad('trigger.trigger_settings.cron must be a string');
  if (type === 'scheduled') {
    try {
      if (!new Cron(cron, { paused: true }).nextRun()) throw new Error('it never fires');
    } catch (err) {
      throw bad(
        `trigger.trigger_settings.cron ${JSON.stringify(cron.slice(0, 100))} is not a schedule: ${(err as Error).message} (six fields, seconds first, as Harbor: "0 0 2 * * *")`,
      );
    }
  }
  return { type: type as PolicyTrigger['type'], trigger_settings: { cron: type === 'scheduled' ? cron : '' } };
}

function parseFilters(input: unknown, stored: PolicyFilter[] | undefined): PolicyFilter[] {
  if (input === undefined || input === null) return stored ?? [];
  if (!Array.isArray(input)) throw bad('filters must be a list of {type, value, decoration}');
  const seen = new Set<string>();
  return input.map((f: { type?: unknown; value?: unknown; decoration?: unknown }) => {
    if (!(filterTypes as readonly unknown[]).includes(f?.type)) throw bad(`a filter's type must be one of ${filterTypes.join(', ')}`);
    const type = f.type as PolicyFilter['type'];
    if (seen.has(type)) throw bad(`one ${type} filter per rule`);
    seen.add(type);
    const decoration = f.decoration ?? 'matches';
    if (decoration !== 'matches' && decoration !== 'excludes') throw bad("a filter's decoration must be matches or excludes");
    if (typeof f.value !== 'string' || !f.value || f.value.length > 1024) throw bad(`the ${type} filter needs a value`);
    if (type === 'resource') {
      if (f.value !== 'image' && f.value !== 'artifact') throw bad('the resource filter is image or artifact');
    } else {
      try {
        picomatch(f.value);
      } catch (err) {
        throw bad(`the ${type} filter ${JSON.stringify(f.value.slice(0, 100))} is not a glob: ${(err as Error).message}`);
      }
    }
    return { type, value: f.value, decoration };
  });
}

async function fields(q: Queryer, input: PolicyInput, stored?: PolicyRow): Promise<PolicyFields> {
  const name = input.name ?? stored?.name;
  if (typeof name !== 'string' || !name.trim() || name.length > 255) throw bad('name is required, at most 255 characters');
  const description = input.description ?? stored?.description ?? '';
  if (typeof description !== 'string' || description.length > 1024) throw bad('description must be a string of at most 1024 characters');
  const sides = input.src_registry !== undefined || input.dest_registry !== undefined;
  const src = sides ? await registryRef(q, input.src_registry, 'src_registry') : undefined;
  const dest = sides ? await registryRef(q, input.dest_registry, 'dest_registry') : undefined;
  const srcId = sides ? (src?.id ?? null) : (stored?.src_registry_id ?? null);
  const destId = sides ? (dest?.id ?? null) : (stored?.dest_registry_id ?? null);
  if ((srcId === null) === (destId === null))
    throw bad('give exactly one of src_registry (a pull rule) or dest_registry (a push rule); the other side is this Berth');
  const namespace = input.dest_namespace ?? stored?.dest_namespace ?? '';
  if (typeof namespace !== 'string' || (namespace && !namespaceRe.test(namespace)))
    throw bad('dest_namespace must be empty or a lower-case repository path such as "mirror" or "team/mirror"');
  const replaceCount = input.dest_namespace_replace_count ?? stored?.dest_namespace_replace_count ?? -1;
  if (typeof replaceCount !== 'number' || !Number.isInteger(replaceCount) || replaceCount < -1 || replaceCount > 10) {
    throw bad('dest_namespace_replace_count is -1 (flatten all levels), 0 (none) or the number of levels to flatten');
  }
  const trig = parseTrigger(input.trigger, stored?.trig);
  if (trig.type === 'event_based' && srcId !== null) throw bad('event-based triggers are for push rules: a pull rule hears no events from the other registry');
  const replicateDeletion = bool(input.replicate_deletion ?? input.deletion, 'replicate_deletion', stored?.replicate_deletion ?? false);
  if (replicateDeletion && (trig.type !== 'event_based' || srcId !== null)) throw bad('replicate_deletion applies to event-based push rules only');
  const speed = input.speed ?? stored?.speed_kb ?? -1;
  if (typeof speed !== 'number' || !Number.isInteger(speed) || (speed !== -1 && speed < 1) || speed > 10_000_000)
    throw bad('speed is -1 (unlimited) or a limit in KB/s');
  return {
    name: name.trim(),
    description,
    src_registry_id: srcId,
    dest_registry_id: destId,
    dest_namespace: namespace,
    dest_namespace_replace_count: replaceCount,
    trig,
    filters: parseFilters(input.filters, stored?.filters),
    replicate_deletion: replicateDeletion,
    override: bool(input.override, 'override', stored?.override ?? true),
    enabled: bool(input.enabled, 'enabled', stored?.enabled ?? true),
    speed_kb: speed,
    copy_by_chunk: bool(input.copy_by_chunk, 'copy_by_chunk', stored?.copy_by_chunk ?? false),
  };
}

async function stored(q: Queryer, id: string): Promise<PolicyRow> {
  const row = /^\d{1,15}$/.test(id) ? await findPolicy(q, Number(id)) : undefined;
  if (!row) throw new DomainError('NOT_FOUND', `replication rule ${id.slice(0, 50)} not found`);
  return row;
}

const admins = 'only system administrators manage replication';

export async function createPolicy(deps: ReplicationDeps, principal: Principal, input: PolicyInput): Promise<number> {
  requireAdmin(principal, admins);
  return deps.db.tx(async (q) => {
    const f = await fields(q, input);
    const id = await savePolicy(q, f);
    if (id === undefined) throw new DomainError('CONFLICT', `a replication rule named ${f.name} already exists`);
    await recordAudit(q, { operation: 'create', resourceType: 'replication_policy', resource: f.name });
    return id;
  });
}

export async function getPolicy(deps: ReplicationDeps, principal: Principal, id: string): Promise<PolicyView> {
  requireAdmin(principal, admins);
  return (await views(deps.db, [await stored(deps.db, id)]))[0];
}

export async function listPoliciesFor(deps: ReplicationDeps, principal: Principal, nameContains: string | undefined, paging: Paging) {
  requireAdmin(principal, admins);
  const { rows, total } = await listPolicies(deps.db, nameContains, paging.pageSize, paging.offset);
  return { items: await views(deps.db, rows), total };
}

export async function editPolicy(deps: ReplicationDeps, principal: Principal, id: string, input: PolicyInput): Promise<void> {
  requireAdmin(principal, admins);
  await deps.db.tx(async (q) => {
    const row = await stored(q, id);
    const f = await fields(q, input, row);
    if (!(await updatePolicy(q, row.id, f))) throw new DomainError('CONFLICT', `a replication rule named ${f.name} already exists`);
    await recordAudit(q, { operation: 'update', resourceType: 'replication_policy', resource: f.name });
  });
}

export async function deletePolicy(deps: ReplicationDeps, principal: Principal, id: string): Promise<void> {
  requireAdmin(principal, admins);
  await deps.db.tx(async (q) => {
    const row = await stored(q, id);
    await removePolicy(q, row.id);
    await recordAudit(q, { operation: 'delete', resourceType: 'replication_policy', resource: row.name });
  });
}
