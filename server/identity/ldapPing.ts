// Harbor's POST /ldap/ping: whether these directory settings (the body's, over the saved
// ones) reach the directory and find the user base, so an administrator tries them first.
import { authSettingKeys, checkAuthSetting, type AuthSettingKey } from '../config/authSettings.js';
import { DomainError } from '../lib/errors.js';
import { requireAdmin, type Principal } from '../lib/principal.js';
import { DirectoryError, pingDirectory } from './ldap.js';
import type { AuthSettingsStore } from './settings.js';

export async function pingLdap(
  settings: AuthSettingsStore,
  principal: Principal,
  body: Record<string, unknown>,
): Promise<{ success: boolean; message: string }> {
  requireAdmin(principal, 'only system administrators test directory settings');
  const trial: Record<string, unknown> = { ...(await settings.current()) };
  for (const [key, value] of Object.entries(body)) {
    // Harbor's ping names the timeout ldap_connection_timeout.
    const k = (key === 'ldap_connection_timeout' ? 'ldap_timeout' : key) as AuthSettingKey;
    if (!k.startsWith('ldap_') || !authSettingKeys.includes(k)) throw new DomainError('INVALID', `${key.slice(0, 100)}: not a directory setting`);
    try {
      trial[k] = checkAuthSetting(k, value);
    } catch (err) {
      throw new DomainError('INVALID', `${k}: ${(err as Error).message}`);
    }
  }
  try {
    await pingDirectory(trial as Parameters<typeof pingDirectory>[0]);
    return { success: true, message: 'the directory answered and the user base exists' };
  } catch (err) {
    if (err instanceof DirectoryError) return { success: false, message: err.message };
    throw err;
  }
}
