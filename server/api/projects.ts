// /api/v2.0/projects and members (Harbor v2 shapes).
import type Koa from 'koa';
import type { AuthDeps } from '../auth/resolvers.js';
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

export function projectRoutes(deps: AuthDeps) {
  return {
    // GET /projects?q=name=~x,public=true&sort=-creation_time&page=&page_size=&name=&public=&owner=
    list: (async (ctx) => {
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
    }) as Koa.Middleware,
    // HEAD /projects?project_name= — 200 when a project has that name, 404 when none has.
    head: (async (ctx) => {
      const taken = await projectNameTaken(deps.db, principal(ctx), queryParam(ctx, 'project_name'));
      if (!taken) throw new DomainError('NOT_FOUND', 'no project has that name');
      ctx.status = 200;
      ctx.body = '';
    }) as Koa.Middleware,
    // PUT /projects/{project_name_or_id} — {metadata: {public: "true"|"false"}}
    update: (async (ctx) => {
      await updateProject(deps.db, principal(ctx), ctx.params.project_name_or_id, byName(ctx), await jsonBody(ctx));
      respondDone(ctx);
    }) as Koa.Middleware,
    // GET /projects/{project_name_or_id}/summary
    summary: (async (ctx) => {
      ctx.body = await projectSummary(deps.db, principal(ctx), ctx.params.project_name_or_id, byName(ctx));
    }) as Koa.Middleware,
    // GET /projects/{project_name_or_id}/members?entityname=&page=&page_size=
    listMembers: (async (ctx) => {
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
    }) as Koa.Middleware,
    // GET /projects/{project_name_or_id}/members/{mid}
    getMember: (async (ctx) => {
      ctx.body = await getProjectMember(deps.db, principal(ctx), ctx.params.project_name_or_id, byName(ctx), ctx.params.mid);
    }) as Koa.Middleware,
    // PUT /projects/{project_name_or_id}/members/{mid} — {role_id}
    updateMember: (async (ctx) => {
      await changeMemberRole(deps.db, principal(ctx), ctx.params.project_name_or_id, byName(ctx), ctx.params.mid, await jsonBody(ctx));
      respondDone(ctx);
    }) as Koa.Middleware,
    // DELETE /projects/{project_name_or_id}/members/{mid}
    removeMember: (async (ctx) => {
      await deleteMember(deps.db, principal(ctx), ctx.params.project_name_or_id, byName(ctx), ctx.params.mid);
      respondDone(ctx);
    }) as Koa.Middleware,
    // POST /projects — Harbor: 201 with Location /api/v2.0/projects/{id}; 409 when the name is taken.
    create: (async (ctx) => {
      const id = await createProject(deps.db, principal(ctx), await jsonBody(ctx), deps.projectCreation, deps.storagePerProject);
      respondCreated(ctx, `/api/v2.0/projects/${id}`);
    }) as Koa.Middleware,
    // GET /projects/{project_name_or_id}
    get: (async (ctx) => {
      ctx.body = await getProject(deps.db, principal(ctx), ctx.params.project_name_or_id, byName(ctx));
    }) as Koa.Middleware,
    // DELETE /projects/{project_name_or_id} — only an empty project (412 otherwise).
    remove: (async (ctx) => {
      await deleteProject(deps.db, principal(ctx), ctx.params.project_name_or_id, byName(ctx));
      respondDone(ctx);
    }) as Koa.Middleware,
    // POST /projects/{project_name_or_id}/members — 201 with Location .../members/{user id}.
    addMember: (async (ctx) => {
      const ref = ctx.params.project_name_or_id;
      const m = await addMember(deps.db, principal(ctx), ref, byName(ctx), await jsonBody(ctx));
      respondCreated(ctx, `/api/v2.0/projects/${m.projectId}/members/${m.userId}`);
    }) as Koa.Middleware,
  };
}
