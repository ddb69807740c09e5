// GET /api/v2.0/systeminfo — Harbor's shape: what anyone may know, plus the registry's
// addresses and policies for logged-in users.
import type Koa from 'koa';
import type { AuthDeps } from '../auth/resolvers.js';
import { externalBase } from '../auth/v2authorize.js';
import { principal } from './auth.js';
import { requireAdmin } from '../lib/principal.js';
import { primaryAuthMode } from '../identity/settings.js';
import type { BlobStore } from '../storage/blobStore.js';

export const berthVersion = '0.1.0';

/** `storageProvider`: the blob store's driver name, Harbor's registry_storage_provider_name. */
export function systemInfo(deps: AuthDeps, storageProvider: string): Koa.Middleware {
  return async (ctx) => {
    const settings = await deps.identity.current();
    const modes = settings.auth_modes;
    const base = {
      auth_mode: primaryAuthMode(modes),
      // Berth: every identity source users may sign in with at once.
      auth_modes: modes,
      // The name on the console's sign-in button (Harbor's oidc_provider_name).
      ...(modes.includes('oidc_auth') ? { oidc_provider_name: settings.oidc_name || 'OIDC' } : {}),
      primary_auth_mode: false,
      self_registration: false,
      harbor_version: `berth-${berthVersion}`,
      banner_message: '',
    };
    const p = principal(ctx);
    if (p.kind !== 'user') {
      ctx.body = base;
      return;
    }
    const externalUrl = externalBase(deps, ctx);
    ctx.body = {
      ...base,
      external_url: externalUrl,
      registry_url: new URL(externalUrl).host,
      project_creation_restriction: deps.projectCreation,
      has_ca_root: false,
      read_only: false,
      notification_enable: false,
      with_chartmuseum: false,
      // Harbor names the drivers as Distribution's configuration does.
      registry_storage_provider_name: storageProvider === 'fs' ? 'filesystem' : storageProvider,
    };
  };
}

/** GET /systeminfo/volumes (administrators): the blob volume's size and free space; none for a bucket. */
export function systemVolumes(store: Pick<BlobStore, 'capacity'>): Koa.Middleware {
  return async (ctx) => {
    requireAdmin(principal(ctx), 'only system administrators see the volumes');
    ctx.body = { storage: store.capacity ? [await store.capacity()] : [] };
  };
}
