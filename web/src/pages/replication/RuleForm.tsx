// A replication rule's form: direction and registry, the filters, the trigger, where
// the copies go on the destination, and the bandwidth limit.
import type { PolicyFilter, PolicyTrigger, PolicyView } from '@berth/api-types';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { createPolicy, listRegistryChoices, type PolicyFilterBody, registryKeys, updatePolicy } from '../../api/replication';
import { ErrorNote, Modal } from '../../components/ui';
import { localRegistryId } from './common';

function filterOf(p: PolicyView | undefined, type: PolicyFilter['type']): PolicyFilter | undefined {
  return p?.filters.find((f) => f.type === type);
}

export function RuleForm({ stored, onClose, onSaved }: { stored?: PolicyView; onClose: () => void; onSaved: () => void }) {
  const registries = useQuery({ queryKey: registryKeys.choices, queryFn: listRegistryChoices });
  const [name, setName] = useState(stored?.name ?? '');
  const [direction, setDirection] = useState<'push' | 'pull'>(stored && stored.src_registry.id !== localRegistryId ? 'pull' : 'push');
  const [registry, setRegistry] = useState<number | ''>(stored ? stored.dest_registry.id || stored.src_registry.id : '');
  const [nameFilter, setNameFilter] = useState(filterOf(stored, 'name')?.value ?? '');
  const [tagFilter, setTagFilter] = useState(filterOf(stored, 'tag')?.value ?? '');
  const [tagExcludes, setTagExcludes] = useState(filterOf(stored, 'tag')?.decoration === 'excludes');
  const [resource, setResource] = useState(filterOf(stored, 'resource')?.value ?? '');
  const [trigger, setTrigger] = useState(stored?.trigger.type ?? 'manual');
  const [cron, setCron] = useState(stored?.trigger.trigger_settings.cron || '0 0 2 * * *');
  const [namespace, setNamespace] = useState(stored?.dest_namespace ?? '');
  const [flatten, setFlatten] = useState(stored?.dest_namespace_replace_count ?? -1);
  const [override, setOverride] = useState(stored?.override ?? true);
  const [deletion, setDeletion] = useState(stored?.replicate_deletion ?? false);
  const [enabled, setEnabled] = useState(stored?.enabled ?? true);
  const [speed, setSpeed] = useState(stored && stored.speed > 0 ? String(stored.speed) : '');
  const [error, setError] = useState<unknown>();
  const badCron = trigger === 'scheduled' && cron.trim().split(/\s+/).length !== 6;
  const badSpeed = speed !== '' && !(Number.isInteger(Number(speed)) && Number(speed) > 0);
  const eventPush = trigger === 'event_based' && direction === 'push';
  return (
    <Modal title={stored ? `Edit ${stored.name}` : 'New replication rule'} onClose={onClose}>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          setError(undefined);
          const filters: PolicyFilterBody[] = [
            ...(nameFilter ? [{ type: 'name' as const, value: nameFilter }] : []),
            ...(tagFilter ? [{ type: 'tag' as const, value: tagFilter, decoration: tagExcludes ? ('excludes' as const) : ('matches' as const) }] : []),
            ...(resource ? [{ type: 'resource' as const, value: resource }] : []),
          ];
          const body = {
            name,
            src_registry: direction === 'pull' ? { id: registry } : null,
            dest_registry: direction === 'push' ? { id: registry } : null,
            filters,
            trigger: { type: trigger, trigger_settings: { cron: trigger === 'scheduled' ? cron.trim() : '' } },
            dest_namespace: namespace,
            dest_namespace_replace_count: flatten,
            override,
            replicate_deletion: eventPush && deletion,
            enabled,
            speed: speed === '' ? -1 : Number(speed),
          };
          try {
            if (stored) await updatePolicy(stored.id, body);
            else await createPolicy(body);
            onSaved();
          } catch (err) {
            setError(err);
          }
        }}
      >
        <label>
          Name
          <input required value={name} onChange={(e) => setName(e.target.value)} />
        </label>
        <fieldset className="radios">
          <legend>Direction</legend>
          <label className="check">
            <input type="radio" name="direction" checked={direction === 'push'} onChange={() => setDirection('push')} />
            Push: from this Berth to the registry
          </label>
          <label className="check">
            <input
              type="radio"
              name="direction"
              checked={direction === 'pull'}
              onChange={() => {
                setDirection('pull');
                if (trigger === 'event_based') setTrigger('manual');
              }}
            />
            Pull: from the registry into this Berth
          </label>
        </fieldset>
        <label>
          Registry
          <select required value={registry} onChange={(e) => setRegistry(e.target.value ? Number(e.target.value) : '')}>
            <option value="">Choose…</option>
            {registries.data?.items.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name} ({r.url})
              </option>
            ))}
          </select>
        </label>
        <label>
          Repositories (glob, e.g. <code>library/**</code>; empty: all)
          <input value={nameFilter} onChange={(e) => setNameFilter(e.target.value.trim())} />
        </label>
        <label>
          Tags (glob, e.g. <code>v*</code>; empty: all)
          <input value={tagFilter} onChange={(e) => setTagFilter(e.target.value.trim())} />
        </label>
        <label className="check">
          <input type="checkbox" checked={tagExcludes} onChange={(e) => setTagExcludes(e.target.checked)} disabled={!tagFilter} />
          Copy the tags that do <em>not</em> match
        </label>
        <label>
          Resources
          <select value={resource} onChange={(e) => setResource(e.target.value)}>
            <option value="">Everything</option>
            <option value="image">Images only</option>
            <option value="artifact">Any artifact</option>
          </select>
        </label>
        <label>
          Trigger
          <select value={trigger} onChange={(e) => setTrigger(e.target.value as PolicyTrigger['type'])}>
            <option value="manual">Manual</option>
            <option value="scheduled">Scheduled</option>
            <option value="event_based" disabled={direction === 'pull'}>
              On every push (push rules)
            </option>
          </select>
        </label>
        {trigger === 'scheduled' && (
          <label>
            Cron (six fields, seconds first)
            <input value={cron} onChange={(e) => setCron(e.target.value)} aria-invalid={badCron} />
          </label>
        )}
        {eventPush && (
          <label className="check">
            <input type="checkbox" checked={deletion} onChange={(e) => setDeletion(e.target.checked)} />
            Also delete on the registry what is deleted here
          </label>
        )}
        <label>
          Destination namespace (empty: the same path)
          <input value={namespace} onChange={(e) => setNamespace(e.target.value.trim())} />
        </label>
        <label>
          Flattening
          <select value={flatten} onChange={(e) => setFlatten(Number(e.target.value))} disabled={!namespace}>
            <option value={-1}>Flatten all levels (a/b/c → ns/c)</option>
            <option value={0}>No flattening (a/b/c → ns/a/b/c)</option>
            <option value={1}>Flatten 1 level (a/b/c → ns/b/c)</option>
            <option value={2}>Flatten 2 levels (a/b/c → ns/c)</option>
            <option value={3}>Flatten 3 levels</option>
          </select>
        </label>
        <label>
          Bandwidth limit, KB/s (empty: none)
          <input inputMode="numeric" value={speed} onChange={(e) => setSpeed(e.target.value.trim())} aria-invalid={badSpeed} />
        </label>
        <label className="check">
          <input type="checkbox" checked={override} onChange={(e) => setOverride(e.target.checked)} />
          Overwrite tags that name something else on the destination
        </label>
        <label className="check">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
          Enabled
        </label>
        {error !== undefined && <ErrorNote error={error} />}
        <div className="actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!name || registry === '' || badCron || badSpeed}>
            Save
          </button>
        </div>
      </form>
    </Modal>
  );
}
