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
  listProjectsFor,
  projectSummary,
  projectFilterKeys,
  projectSortKeys,
  updateProject,
} from '../projects/projects.js';
import { byName, jsonBody, principal } from './auth.js';
import { listParams, queryParam, respondPage } from './listing.js';
import { respondCreated, respondDone } from './respond.js';

export function projectRoutes(deps: AuthDeps) {
  return {
    // GET /projects?q=name=~x,public=true&sort=-creation_time&page=&page_size=
    list: (async (ctx) => {
      const query = listParams(ctx, projectFilterKeys, projectSortKeys);
      const { items, total } = await listProjectsFor(deps.db, principal(ctx), query);
      respondPage(ctx, items, total, query.paging);
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
    // GET /projects/{project_name_or_id}/members?entityname=
    listMembers: (async (ctx) => {
      ctx.body = await listProjectMembers(deps.db, principal(ctx), ctx.params.project_name_or_id, byName(ctx), queryParam(ctx, 'entityname'));
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
