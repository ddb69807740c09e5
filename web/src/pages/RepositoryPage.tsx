// A repository's artifacts: digest, tags, size, type, platforms of an index, push time,
// vulnerabilities found by the latest scan (polled while a scan waits or runs) with a link
// to the report; pull commands to copy; tags added and removed; images scanned on demand;
// artifacts deleted after asking.
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams, useSearchParams } from 'react-router';
import type { ArtifactView } from '@berth/api-types';
import { getProject, projectKeys } from '../api/projects';
import { addTag, artifactKeys, deleteArtifact, deleteTag, listArtifacts } from '../api/repositories';
import { overviewOf, scanArtifact } from '../api/scanning';
import { CopyButton, ErrorNote, QueryView, DeleteDialog, PagedTable, useErrorSlot } from '../components/ui';
import { ScanOverview, scanInProgress } from '../components/vulnerabilities';
import { useSession } from '../session';
import { bytes, shortDigest, when, whenOr } from '../format';

const pageSize = 15;

/** What a referrer is, by its artifact type. */
function referrerKind(type: string | null): string {
  if (!type) return 'Referrer';
  if (/signature|cosign|notary/i.test(type)) return 'Signature';
  if (/spdx|cyclonedx|sbom|syft/i.test(type)) return 'SBOM';
  if (/in-toto|attestation|provenance/i.test(type)) return 'Attestation';
  return type;
}
const tagRe = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

export function RepositoryPage() {
  const { project = '', repository = '' } = useParams();
  const name = `${project}/${repository}`;
  const [params, setParams] = useSearchParams();
  const page = Number(params.get('page') ?? 1);
  const client = useQueryClient();
  const query = useQuery({
    queryKey: artifactKeys.list(name, page),
    queryFn: () => listArtifacts(project, repository, { page, pageSize }),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.items.some((a) => scanInProgress(overviewOf(a))) ? 1500 : false),
  });
  // Harbor: project administrators and maintainers scan (the role table's scan create).
  const { user } = useSession();
  const projectQuery = useQuery({ queryKey: projectKeys.one(project), queryFn: () => getProject(project) });
  const role = projectQuery.data?.current_user_role_id;
  const canScan = user?.sysadmin_flag === true || role === 1 || role === 4;
  const { error, run } = useErrorSlot();
  const [deleting, setDeleting] = useState<ArtifactView>();
  const [removingTag, setRemovingTag] = useState<{ artifact: ArtifactView; tag: string }>();
  const refresh = () => client.invalidateQueries({ queryKey: artifactKeys.repository(name) });
  const host = location.host;
  return (
    <section>
      <p className="crumbs">
        <Link to="/projects">Projects</Link> / <Link to={`/projects/${project}/repositories`}>{project}</Link> /
      </p>
      <div className="heading">
        <h1>{name}</h1>
      </div>
      {error !== undefined && <ErrorNote error={error} />}
      <QueryView query={query} what="artifacts" isEmpty={(d) => d.items.length === 0} empty={'No artifacts in this repository.'}>
        {(data) => (
          <PagedTable
            columns={['Artifact', 'Tags', 'Type', 'Vulnerabilities', 'Size', 'Pushed', 'Pulled', 'Pull', '']}
            className="artifacts"
            page={page}
            pageSize={pageSize}
            total={data.total}
            onPage={(p) => setParams({ page: String(p) })}
          >
            {(() => {
              // Signatures and SBOMs are shown with their subject when it is on this page.
              const items = data.items;
              const here = new Set(items.map((a) => a.digest));
              const referrers = new Map<string, ArtifactView[]>();
              for (const a of items)
                if (a.subject_digest && here.has(a.subject_digest)) referrers.set(a.subject_digest, [...(referrers.get(a.subject_digest) ?? []), a]);
              return items.filter((a) => !(a.subject_digest && here.has(a.subject_digest))).map((a) => ({ a, refs: referrers.get(a.digest) ?? [] }));
            })().map(({ a, refs }) => {
              const ref = a.tags?.length ? `:${a.tags[0].name}` : `@${a.digest}`;
              const platforms = a.references
                .map((r) => r.platform)
                .filter((p): p is NonNullable<typeof p> => !!p)
                .map((p) => [p.os, p.architecture, p.variant].filter(Boolean).join('/'));
              return (
                <tr key={a.id}>
                  <td>
                    <code title={a.digest}>{shortDigest(a.digest)}</code> <CopyButton text={a.digest} label="Copy digest" />
                  </td>
                  <td data-label="Tags">
                    <ul className="tags" aria-label={`Tags of ${shortDigest(a.digest)}`}>
                      {(a.tags ?? []).map((t) => (
                        <li key={t.name}>
                          <span className="tag">{t.name}</span>
                          <button
                            type="button"
                            className="link"
                            aria-label={`Remove tag ${t.name}`}
                            onClick={() => setRemovingTag({ artifact: a, tag: t.name })}
                          >
                            ×
                          </button>
                        </li>
                      ))}
                      <li>
                        <AddTag
                          onAdd={run(async (tag) => {
                            await addTag(project, repository, a.digest, tag);
                            await refresh();
                          })}
                        />
                      </li>
                    </ul>
                  </td>
                  <td data-label="Type">
                    {a.subject_digest
                      ? `${referrerKind(a.artifact_type)} of ${shortDigest(a.subject_digest)}`
                      : a.type === 'IMAGE'
                        ? platforms.length
                          ? `Image index: ${platforms.join(', ')}`
                          : 'Image'
                        : (a.artifact_type ?? a.type)}
                    {refs.length > 0 && (
                      <ul className="referrers" aria-label={`Referrers of ${shortDigest(a.digest)}`}>
                        {refs.map((r) => (
                          <li key={r.digest} title={r.artifact_type ?? ''}>
                            {referrerKind(r.artifact_type)} <code>{shortDigest(r.digest)}</code>
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  <td data-label="Vulnerabilities">
                    <ScanOverview
                      overview={overviewOf(a)}
                      label={shortDigest(a.digest)}
                      report={
                        <Link
                          to={`/projects/${project}/repositories/${encodeURIComponent(repository)}/artifacts/${a.digest}/vulnerabilities`}
                          aria-label={`Vulnerability report of ${shortDigest(a.digest)}`}
                        >
                          Report
                        </Link>
                      }
                    />
                  </td>
                  <td data-label="Size">{bytes(a.size)}</td>
                  <td data-label="Pushed">{when(a.push_time)}</td>
                  <td data-label="Pulled">{whenOr(a.pull_time, 'Never')}</td>
                  <td>
                    <CopyButton text={`docker pull ${host}/${name}${ref}`} label="Copy pull command" />
                  </td>
                  <td>
                    <span className="row-actions">
                      {canScan && a.type === 'IMAGE' && !a.subject_digest && (
                        <button
                          type="button"
                          className="link"
                          disabled={scanInProgress(overviewOf(a))}
                          aria-label={`Scan artifact ${shortDigest(a.digest)}`}
                          onClick={run(async () => {
                            await scanArtifact(project, repository, a.digest);
                            await refresh();
                          })}
                        >
                          Scan
                        </button>
                      )}
                      <button type="button" className="link danger" onClick={() => setDeleting(a)} aria-label={`Delete artifact ${shortDigest(a.digest)}`}>
                        Delete
                      </button>
                    </span>
                  </td>
                </tr>
              );
            })}
          </PagedTable>
        )}
      </QueryView>
      {deleting && (
        <DeleteDialog
          title="Delete artifact"
          action="Delete"
          body={
            <p>
              Delete <code>{shortDigest(deleting.digest)}</code>
              {deleting.tags?.length ? ` and its tags ${deleting.tags.map((t) => t.name).join(', ')}` : ''}? Clients can no longer pull it.
            </p>
          }
          onDelete={() => deleteArtifact(project, repository, deleting.digest)}
          onClose={() => setDeleting(undefined)}
          onDeleted={() => refresh()}
        />
      )}
      {removingTag && (
        <DeleteDialog
          title="Remove tag"
          action="Remove"
          body={
            <p>
              Remove the tag <strong>{removingTag.tag}</strong>? The artifact stays.
            </p>
          }
          onDelete={() => deleteTag(project, repository, removingTag.artifact.digest, removingTag.tag)}
          onClose={() => setRemovingTag(undefined)}
          onDeleted={() => refresh()}
        />
      )}
    </section>
  );
}

function AddTag({ onAdd }: { onAdd: (tag: string) => Promise<void> }) {
  const [open, setOpen] = useState(false);
  const [tag, setTag] = useState('');
  if (!open)
    return (
      <button type="button" className="link" onClick={() => setOpen(true)}>
        + Tag
      </button>
    );
  const bad = tag !== '' && !tagRe.test(tag);
  return (
    <form
      className="inline"
      onSubmit={async (e) => {
        e.preventDefault();
        await onAdd(tag);
        setTag('');
        setOpen(false);
      }}
    >
      <input aria-label="New tag" autoFocus value={tag} onChange={(e) => setTag(e.target.value.trim())} aria-invalid={bad} size={12} />
      <button type="submit" disabled={!tag || bad}>
        Add
      </button>
      <button type="button" className="link" onClick={() => setOpen(false)}>
        Cancel
      </button>
    </form>
  );
}
