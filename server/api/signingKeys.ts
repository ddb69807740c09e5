// /api/v2.0/projects/{project_name_or_id}/signing-keys: the public keys the project's
// signature policy (metadata.require_signature) trusts. Berth's own; Harbor has no such API.
import type Router from '@koa/router';
import { addProjectKey, deleteProjectKey, listProjectKeys } from '../signing/keys.js';
import { byName, jsonBody, principal } from './auth.js';
import type { ApiDeps } from './deps.js';
import { respondCreated, respondDone } from './respond.js';

export function registerSigningKeys(router: Router, deps: ApiDeps): void {
  // GET /projects/{project_name_or_id}/signing-keys
  router.get('/projects/:project_name_or_id/signing-keys', async (ctx) => {
    ctx.body = await listProjectKeys(deps.db, principal(ctx), ctx.params.project_name_or_id, byName(ctx));
  });
  // POST /projects/{project_name_or_id}/signing-keys {name, public_key (PEM)} → 201, Location …/signing-keys/{id}
  router.post('/projects/:project_name_or_id/signing-keys', async (ctx) => {
    const id = await addProjectKey(deps.db, principal(ctx), ctx.params.project_name_or_id, byName(ctx), await jsonBody(ctx));
    respondCreated(ctx, `/api/v2.0/projects/${encodeURIComponent(ctx.params.project_name_or_id)}/signing-keys/${id}`);
  });
  // DELETE /projects/{project_name_or_id}/signing-keys/{key_id}
  router.delete('/projects/:project_name_or_id/signing-keys/:key_id', async (ctx) => {
    await deleteProjectKey(deps.db, principal(ctx), ctx.params.project_name_or_id, byName(ctx), ctx.params.key_id);
    respondDone(ctx);
  });
}
