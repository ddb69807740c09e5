// The sign-in settings as every node applies them: the environment's pins over the rows an
// administrator stored through /api/v2.0/configurations over the defaults. Read at most
// every few seconds per process, so a change made on one node reaches the others within
// that time without a query per login.
import {
  authEnvName,
  authSettingKeys,
  authSettings,
  checkAuthSetting,
  type AuthMode,
  type AuthSettingKey,
  type AuthSettingsValues,
} from '../config/authSettings.js';
import { listConfigurations, saveConfigurations } from '../db/configurations.js';
import type { Database } from '../db/database.js';
import { recordAudit } from '../audit/record.js';
import { DomainError } from '../lib/errors.js';
import { requireAdmin, type Principal } from '../lib/principal.js';

/** Seals stored secrets (the server's secret box; replication uses the same key). */
export interface Sealer {
  seal(plain: string): string;
  open(sealed: string): string;
}

const isSecret = (k: AuthSettingKey) => 'secret' in authSettings[k] && authSettings[k].secret === true;

/** Harbor's one auth_mode, for clients that know only it: the directory if one is on. */
export function primaryAuthMode(modes: readonly AuthMode[]): AuthMode {
  return modes.includes('oidc_auth') ? 'oidc_auth' : modes.includes('ldap_auth') ? 'ldap_auth' : 'db_auth';
}

export class AuthSettingsStore {
  private cached?: { at: number; values: AuthSettingsValues };

  constructor(
    private readonly db: Database,
    readonly box: Sealer,
    private readonly pinned: Partial<Record<AuthSettingKey, unknown>> = {},
    private readonly ttlMs = 3000,
  ) {}

  /** The settings in force (cached for a few seconds). */
  async current(): Promise<AuthSettingsValues> {
    if (this.cached && Date.now() - this.cached.at < this.ttlMs) return this.cached.values;
    const stored = await listConfigurations(this.db);
    const values: Record<string, unknown> = {};
    for (const key of authSettingKeys) {
      if (key in this.pinned) values[key] = this.pinned[key];
      else if (stored.has(key)) values[key] = this.readStored(key, stored.get(key));
      else values[key] = authSettings[key].default;
    }
    this.cached = { at: Date.now(), values: values as AuthSettingsValues };
    return this.cached.values;
  }

  private readStored(key: AuthSettingKey, value: unknown): unknown {
    if (!isSecret(key)) return value;
    // A secret sealed with another server's key is unreadable here: treated as unset, as a
    // bind with it would fail anyway; the operator sees the login error in the log.
    try {
      return typeof value === 'string' && value !== '' ? this.box.open(value) : '';
    } catch {
      return '';
    }
  }

  /** GET /configurations: Harbor's {key: {value, editable}}; secrets are never shown. */
  async view(principal: Principal): Promise<Record<string, { value: unknown; editable: boolean }>> {
    requireAdmin(principal, 'only system administrators see the configuration');
    const values = await this.current();
    const out: Record<string, { value: unknown; editable: boolean }> = {
      auth_mode: { value: primaryAuthMode(values.auth_modes), editable: !('auth_modes' in this.pinned) },
    };
    for (const key of authSettingKeys) {
      if (isSecret(key)) continue;
      out[key] = { value: values[key], editable: !(key in this.pinned) };
    }
    return out;
  }

  /**
   * PUT /configurations: the keys given, each checked, all stored or none. Harbor's
   * auth_mode sets the modes to local users plus that one.
   */
  async update(principal: Principal, input: unknown): Promise<void> {
    requireAdmin(principal, 'only system administrators change the configuration');
    if (!input || typeof input !== 'object' || Array.isArray(input)) throw new DomainError('INVALID', 'the body must be a JSON object of settings');
    const body = { ...(input as Record<string, unknown>) };
    if ('auth_mode' in body) {
      if ('auth_modes' in body) throw new DomainError('INVALID', 'give auth_mode or auth_modes, not both');
      const mode = body.auth_mode;
      if (mode !== 'db_auth' && mode !== 'ldap_auth' && mode !== 'oidc_auth')
        throw new DomainError('INVALID', 'auth_mode must be db_auth, ldap_auth or oidc_auth');
      body.auth_modes = mode === 'db_auth' ? ['db_auth'] : ['db_auth', mode];
      delete body.auth_mode;
    }
    const changes: Partial<Record<AuthSettingKey, unknown>> = {};
    for (const [key, value] of Object.entries(body)) {
      if (!(authSettingKeys as string[]).includes(key)) {
        throw new DomainError('INVALID', `${key.slice(0, 100)}: unknown setting; known: auth_mode, ${authSettingKeys.join(', ')}`);
      }
      const k = key as AuthSettingKey;
      if (k in this.pinned) throw new DomainError('INVALID', `${k} is set by ${authEnvName(k)} on this server; change it there`);
      try {
        changes[k] = checkAuthSetting(k, value);
      } catch (err) {
        throw new DomainError('INVALID', `${k}: ${(err as Error).message}`);
      }
    }
    const next = { ...(await this.fresh()), ...changes } as AuthSettingsValues;
    if (next.auth_modes.includes('ldap_auth') && (!next.ldap_url || !next.ldap_base_dn)) {
      throw new DomainError('INVALID', 'ldap_auth needs ldap_url and ldap_base_dn');
    }
    if (next.auth_modes.includes('oidc_auth') && (!next.oidc_endpoint || !next.oidc_client_id || !next.oidc_scope.split(',').includes('openid'))) {
      throw new DomainError('INVALID', 'oidc_auth needs oidc_endpoint, oidc_client_id and the openid scope');
    }
    const rows: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(changes)) rows[k] = isSecret(k as AuthSettingKey) && v !== '' ? this.box.seal(String(v)) : v;
    if (!Object.keys(rows).length) return;
    await this.db.tx(async (q) => {
      await saveConfigurations(q, rows);
      await recordAudit(q, { operation: 'update', resourceType: 'configuration', resource: Object.keys(rows).sort().join(',') });
    });
    this.cached = undefined;
  }

  /** The settings read now, not from the cache (for checks before a write). */
  async fresh(): Promise<AuthSettingsValues> {
    this.cached = undefined;
    return this.current();
  }
}
