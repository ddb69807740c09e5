// /api/v2.0/projects/{project_name}/repositories[/{repository_name}[/artifacts[/{reference}]]]
// (Harbor v2 shapes). Harbor clients encode the slashes of a repository name twice
// (a/b -> a%252Fb); the router decodes once, this decodes the second time.
import type Koa from 'koa';
import type Router from '@koa/router';
import type { ApiDeps } from './deps.js';
import {
  createArtifactTag,
  deleteArtifactTag,
  listArtifactTags,
  deleteArtifact,
  deleteRepository,
  getArtifact,
  getRepository,
  listRepositories,
  listRepositoryArtifacts,
  listAllRepositories,
  updateRepository,
  copyArtifactInto,
} from '../projects/repositories.js';
import { DomainError } from '../lib/errors.js';
import { jsonBody, principal } from './auth.js';
import { harborQ, pagingOf, queryParam, respondPage } from './listing.js';
import { respondCreated, respondDone } from './respond.js';

export function repositoryName(ctx: Koa.Context): string {
  const raw = ctx.params.repository_name as string;
  try {
    return raw.includes('%') ? decodeURIComponent(raw) : raw;
  } catch {
    throw new DomainError('INVALID', 'malformed repository name');
  }
}

/** Harbor's with_scan_overview=true|false; other with_* flags (tag, label, signature) change nothing here. */
function viewOptions(ctx: Koa.Context): { withScanOverview: boolean } {
  const v = queryParam(ctx, 'with_scan_overview');
  if (v !== undefined && v !== 'true' && v !== 'false') throw new DomainError('INVALID', 'with_scan_overview must be true or false');
  return { withScanOverview: v === 'true' };
}

function nameFilter(ctx: Koa.Context): string | undefined {
  // Harbor: q=name=~x (contains) or q=name=x.
  const q = harborQ(ctx);
  if (!q) return undefined;
  const m = /^name=~?(.+)$/.exec(q);
  if (!m) throw new DomainError('INVALID', 'repositories can be filtered by name only (q=name=~x)');
  return m[1];
}

export function registerRepositories(router: Router, deps: ApiDeps): void {
  const artifacts = { db: deps.db, store: deps.store };
  const registry = { db: deps.db, store: deps.store };
  // GET /projects/{project_name}/repositories
  router.get('/projects/:project_name/repositories', async (ctx) => {
    const paging = pagingOf(ctx);
    const { items, total } = await listRepositories(deps.db, principal(ctx), ctx.params.project_name, nameFilter(ctx), paging);
    respondPage(ctx, items, total, paging);
  });
  // GET /projects/{project_name}/repositories/{repository_name}
  router.get('/projects/:project_name/repositories/:repository_name', async (ctx) => {
    ctx.body = await getRepository(deps.db, principal(ctx), ctx.params.project_name, repositoryName(ctx));
  });
  // PUT /projects/{project_name}/repositories/{repository_name} — {description}
  router.put('/projects/:project_name/repositories/:repository_name', async (ctx) => {
    await updateRepository(deps.db, principal(ctx), ctx.params.project_name, repositoryName(ctx), await jsonBody(ctx));
    respondDone(ctx);
  });
  // DELETE /projects/{project_name}/repositories/{repository_name}
  router.delete('/projects/:project_name/repositories/:repository_name', async (ctx) => {
    await deleteRepository(deps.db, principal(ctx), ctx.params.project_name, repositoryName(ctx));
    respondDone(ctx);
  });
  // GET /repositories?q=name=~x&page=&page_size= — across every project the caller may see
  router.get('/repositories', async (ctx) => {
    const paging = pagingOf(ctx);
    const { items, total } = await listAllRepositories(deps.db, principal(ctx), nameFilter(ctx), paging);
    respondPage(ctx, items, total, paging);
  });
  // GET /projects/{project_name}/repositories/{repository_name}/artifacts
  router.get('/projects/:project_name/repositories/:repository_name/artifacts', async (ctx) => {
    const paging = pagingOf(ctx);
    const { items, total } = await listRepositoryArtifacts(artifacts, principal(ctx), ctx.params.project_name, repositoryName(ctx), paging, viewOptions(ctx));
    respondPage(ctx, items, total, paging);
  });
  // POST /projects/{project_name}/repositories/{repository_name}/artifacts?from=<repo>:<tag>|@<digest> — 201
  router.post('/projects/:project_name/repositories/:repository_name/artifacts', async (ctx) => {
    const { digest } = await copyArtifactInto(registry, principal(ctx), ctx.params.project_name, repositoryName(ctx), queryParam(ctx, 'from'));
    respondCreated(ctx, `${ctx.path}/${digest}`);
  });
  // GET /projects/{project_name}/repositories/{repository_name}/artifacts/{reference}
  router.get('/projects/:project_name/repositories/:repository_name/artifacts/:reference', async (ctx) => {
    ctx.body = await getArtifact(artifacts, principal(ctx), ctx.params.project_name, repositoryName(ctx), ctx.params.reference, viewOptions(ctx));
  });
  // DELETE /projects/{project_name}/repositories/{repository_name}/artifacts/{reference}
  router.delete('/projects/:project_name/repositories/:repository_name/artifacts/:reference', async (ctx) => {
    await deleteArtifact(registry, principal(ctx), ctx.params.project_name, repositoryName(ctx), ctx.params.reference);
    respondDone(ctx);
  });
  // GET …/artifacts/{reference}/tags
  router.get('/projects/:project_name/repositories/:repository_name/artifacts/:reference/tags', async (ctx) => {
    const paging = pagingOf(ctx);
    const { items, total } = await listArtifactTags(deps.db, principal(ctx), ctx.params.project_name, repositoryName(ctx), ctx.params.reference, paging);
    respondPage(ctx, items, total, paging);
  });
  // POST …/artifacts/{reference}/tags — {name}; 201 with the new tag's Location, as Harbor.
  router.post('/projects/:project_name/repositories/:repository_name/artifacts/:reference/tags', async (ctx) => {
    const tag = await createArtifactTag(deps.db, principal(ctx), ctx.params.project_name, repositoryName(ctx), ctx.params.reference, await jsonBody(ctx));
    respondCreated(ctx, `${ctx.path}/${encodeURIComponent(tag)}`);
  });
  // DELETE …/artifacts/{reference}/tags/{tag_name}
  router.delete('/projects/:project_name/repositories/:repository_name/artifacts/:reference/tags/:tag_name', async (ctx) => {
    await deleteArtifactTag(deps.db, principal(ctx), ctx.params.project_name, repositoryName(ctx), ctx.params.reference, ctx.params.tag_name);
    respondDone(ctx);
  });
}
