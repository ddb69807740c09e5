import type { Queryer } from './database.js';

/** How long a sign-in may take between the redirect to the provider and its return. */
export const oidcLoginTtlMs = 10 * 60_000;

export async function saveOidcLogin(q: Queryer, l: { stateHash: string; codeVerifier: string; nonce: string; pendingSealed?: string }): Promise<void> {
  await q.query('INSERT INTO oidc_logins (state_hash, code_verifier, nonce, pending_sealed) VALUES ($1, $2, $3, $4)', [
    l.stateHash,
    l.codeVerifier,
    l.nonce,
    l.pendingSealed ?? null,
  ]);
  await q.query("DELETE FROM oidc_logins WHERE created_at < now() - ($1::bigint * interval '1 millisecond')", [oidcLoginTtlMs]);
}

/** Takes (deletes and returns) a sign-in in progress, if it is there and not too old: a state is used once. */
export async function takeOidcLogin(
  q: Queryer,
  stateHash: string,
): Promise<{ code_verifier: string; nonce: string; pending_sealed: string | null } | undefined> {
  const { rows } = await q.query<{ code_verifier: string; nonce: string; pending_sealed: string | null }>(
    `DELETE FROM oidc_logins WHERE state_hash = $1 AND created_at > now() - ($2::bigint * interval '1 millisecond')
     RETURNING code_verifier, nonce, pending_sealed`,
    [stateHash, oidcLoginTtlMs],
  );
  return rows[0];
}

export interface OidcUserRow {
  user_id: number;
  secret_sealed: string;
  refresh_sealed: string | null;
  token_expires_at: Date;
}

export async function findOidcUser(q: Queryer, userId: number): Promise<OidcUserRow | undefined> {
  const { rows } = await q.query<OidcUserRow>('SELECT user_id, secret_sealed, refresh_sealed, token_expires_at FROM oidc_users WHERE user_id = $1', [userId]);
  return rows[0];
}

/** Records the tokens of a sign-in; the CLI secret only when the row is new (or given). */
export async function saveOidcTokens(q: Queryer, userId: number, t: { secretSealed: string; refreshSealed: string | null; expiresAt: Date }): Promise<void> {
  await q.query(
    `INSERT INTO oidc_users (user_id, secret_sealed, refresh_sealed, token_expires_at) VALUES ($1, $2, $3, $4)
     ON CONFLICT ON CONSTRAINT pk_oidc_users DO UPDATE SET refresh_sealed = COALESCE(EXCLUDED.refresh_sealed, oidc_users.refresh_sealed),
       token_expires_at = EXCLUDED.token_expires_at, updated_at = now()`,
    [userId, t.secretSealed, t.refreshSealed, t.expiresAt],
  );
}

export async function updateOidcSecret(q: Queryer, userId: number, secretSealed: string): Promise<boolean> {
  const res = await q.query('UPDATE oidc_users SET secret_sealed = $2, updated_at = now() WHERE user_id = $1', [userId, secretSealed]);
  return res.rowCount > 0;
}
