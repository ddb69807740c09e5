// /api/v2.0/projects/{project_name_or_id}/immutabletagrules (Harbor v2 shapes).
import type Router from '@koa/router';
import { createImmutableRule, deleteImmutableRule, editImmutableRule, listImmutableRulesFor } from '../projects/immutableRules.js';
import { byName, jsonBody, principal } from './auth.js';
import type { ApiDeps } from './deps.js';
import { respondCreated, respondDone } from './respond.js';

export function registerImmutableRules(router: Router, deps: ApiDeps): void {
  // GET /projects/{project_name_or_id}/immutabletagrules (project admins and maintainers)
  router.get('/projects/:project_name_or_id/immutabletagrules', async (ctx) => {
    const items = await listImmutableRulesFor(deps.db, principal(ctx), ctx.params.project_name_or_id, byName(ctx));
    ctx.set('X-Total-Count', String(items.length));
    ctx.body = items;
  });
  // POST /projects/{project_name_or_id}/immutabletagrules {tag_selectors, scope_selectors, disabled, priority} → 201, Location …/{id}
  router.post('/projects/:project_name_or_id/immutabletagrules', async (ctx) => {
    const ref = ctx.params.project_name_or_id;
    const id = await createImmutableRule(deps.db, principal(ctx), ref, byName(ctx), await jsonBody(ctx));
    respondCreated(ctx, `/api/v2.0/projects/${encodeURIComponent(ref)}/immutabletagrules/${id}`);
  });
  // PUT /projects/{project_name_or_id}/immutabletagrules/{immutable_rule_id}: the whole rule (disabled: true switches it off).
  router.put('/projects/:project_name_or_id/immutabletagrules/:immutable_rule_id', async (ctx) => {
    await editImmutableRule(deps.db, principal(ctx), ctx.params.project_name_or_id, byName(ctx), ctx.params.immutable_rule_id, await jsonBody(ctx));
    respondDone(ctx);
  });
  // DELETE /projects/{project_name_or_id}/immutabletagrules/{immutable_rule_id}
  router.delete('/projects/:project_name_or_id/immutabletagrules/:immutable_rule_id', async (ctx) => {
    await deleteImmutableRule(deps.db, principal(ctx), ctx.params.project_name_or_id, byName(ctx), ctx.params.immutable_rule_id);
    respondDone(ctx);
  });
}
