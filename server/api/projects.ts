// /api/v2.0/projects and members (Harbor v2 shapes).
import type Router from '@koa/router';
import type { ApiDeps } from './deps.js';
import {
  addMember,
  changeMemberRole,
  createProject,
  deleteMember,
  deleteProject,
  getProject,
  listProjectMembers,
  getProjectMember,
  listProjectsFor,
  projectNameTaken,
  projectSummary,
  projectFilterKeys,
  projectSortKeys,
  updateProject,
} from '../projects/projects.js';
import { byName, jsonBody, principal } from './auth.js';
import { DomainError } from '../lib/errors.js';
import { listParams, pagingOf, queryParam, respondPage } from './listing.js';
import { respondCreated, respondDone } from './respond.js';
import { UserGroups } from '../identity/userGroups.js';

export function registerProjects(router: Router, deps: ApiDeps): void {
  // NOTE: before the GET, which would otherwise answer HEAD too.
  // HEAD /projects?project_name= — 200 when a project has that name, 404 when none has.
  router.head('/projects', async (ctx) => {
    const taken = await projectNameTaken(deps.db, principal(ctx), queryParam(ctx, 'project_name'));
    if (!taken) throw new DomainError('NOT_FOUND', 'no project has that name');
    ctx.status = 200;
    ctx.body = '';
  });
  // GET /projects?q=name=~x,public=true&sort=-creation_time&page=&page_size=&name=&public=&owner=
  router.get('/projects', async (ctx) => {
    const query = listParams(ctx, projectFilterKeys, projectSortKeys);
    // Harbor's own parameters win over the same keys in q: name is a substring, public a boolean.
    const name = queryParam(ctx, 'name');
    if (name) query.filters.set('name', { kind: 'fuzzy', value: name });
    const pub = queryParam(ctx, 'public');
    if (pub !== undefined) {
      if (pub !== 'true' && pub !== 'false' && pub !== '1' && pub !== '0') throw new DomainError('INVALID', 'public must be true or false');
      query.filters.set('public', { kind: 'exact', value: String(pub === 'true' || pub === '1') });
    }
    const owner = queryParam(ctx, 'owner');
    const { items, total } = await listProjectsFor(deps.db, principal(ctx), { ...query, ...(owner ? { owner } : {}) });
    respondPage(ctx, items, total, query.paging);
  });
  // POST /projects — Harbor: 201 with Location /api/v2.0/projects/{id}; 409 when the name is taken.
  router.post('/projects', async (ctx) => {
    const id = await createProject(deps.db, principal(ctx), await jsonBody(ctx), deps.auth.projectCreation, deps.storagePerProject);
    respondCreated(ctx, `/api/v2.0/projects/${id}`);
  });
  // GET /projects/{project_name_or_id}
  router.get('/projects/:project_name_or_id', async (ctx) => {
    ctx.body = await getProject(deps.db, principal(ctx), ctx.params.project_name_or_id, byName(ctx));
  });
  // PUT /projects/{project_name_or_id} — {metadata: {public: "true"|"false"}}
  router.put('/projects/:project_name_or_id', async (ctx) => {
    await updateProject(deps.db, principal(ctx), ctx.params.project_name_or_id, byName(ctx), await jsonBody(ctx));
    respondDone(ctx);
  });
  // DELETE /projects/{project_name_or_id} — only an empty project (412 otherwise).
  router.delete('/projects/:project_name_or_id', async (ctx) => {
    await deleteProject(deps.db, principal(ctx), ctx.params.project_name_or_id, byName(ctx));
    respondDone(ctx);
  });
  // GET /projects/{project_name_or_id}/summary
  router.get('/projects/:project_name_or_id/summary', async (ctx) => {
    ctx.body = await projectSummary(deps.db, principal(ctx), ctx.params.project_name_or_id, byName(ctx));
  });
  // GET /projects/{project_name_or_id}/members?entityname=&page=&page_size=
  router.get('/projects/:project_name_or_id/members', async (ctx) => {
    const paging = pagingOf(ctx);
    const { items, total } = await listProjectMembers(
      deps.db,
      principal(ctx),
      ctx.params.project_name_or_id,
      byName(ctx),
      queryParam(ctx, 'entityname'),
      paging,
    );
    respondPage(ctx, items, total, paging);
  });
  // POST /projects/{project_name_or_id}/members — {role_id, member_user | member_group}; 201 with Location .../members/{mid}.
  const groups = new UserGroups(deps.db, deps.auth.identity);
  router.post('/projects/:project_name_or_id/members', async (ctx) => {
    const ref = ctx.params.project_name_or_id;
    const m = await addMember(deps.db, principal(ctx), ref, byName(ctx), await jsonBody(ctx), groups);
    respondCreated(ctx, `/api/v2.0/projects/${m.projectId}/members/${m.memberId}`);
  });
  // GET /projects/{project_name_or_id}/members/{mid}
  router.get('/projects/:project_name_or_id/members/:mid', async (ctx) => {
    ctx.body = await getProjectMember(deps.db, principal(ctx), ctx.params.project_name_or_id, byName(ctx), ctx.params.mid);
  });
  // PUT /projects/{project_name_or_id}/members/{mid} — {role_id}
  router.put('/projects/:project_name_or_id/members/:mid', async (ctx) => {
    await changeMemberRole(deps.db, principal(ctx), ctx.params.project_name_or_id, byName(ctx), ctx.params.mid, await jsonBody(ctx));
    respondDone(ctx);
  });
  // DELETE /projects/{project_name_or_id}/members/{mid}
  router.delete('/projects/:project_name_or_id/members/:mid', async (ctx) => {
    await deleteMember(deps.db, principal(ctx), ctx.params.project_name_or_id, byName(ctx), ctx.params.mid);
    respondDone(ctx);
  });
}
