// /api/v2.0/configurations (system administrators): Harbor's settings API, for the sign-in
// settings; and Harbor's /ldap/ping, which tries directory settings before they are saved.
import type Router from '@koa/router';
import type { ApiDeps } from './deps.js';
import { jsonBody, principal } from './auth.js';
import { respondDone } from './respond.js';
import { pingLdap } from '../identity/ldapPing.js';

export function registerConfigurations(router: Router, deps: ApiDeps): void {
  const settings = deps.auth.identity;
  // GET /configurations — {key: {value, editable}}; secrets never shown.
  router.get('/configurations', async (ctx) => {
    ctx.body = await settings.view(principal(ctx));
  });
  // PUT /configurations — {key: value, …}; all or nothing.
  router.put('/configurations', async (ctx) => {
    await settings.update(principal(ctx), await jsonBody(ctx));
    respondDone(ctx);
  });
  // POST /ldap/ping — optional settings to try over the saved ones; {success, message}.
  router.post('/ldap/ping', async (ctx) => {
    ctx.body = await pingLdap(settings, principal(ctx), await jsonBody(ctx));
  });
}
