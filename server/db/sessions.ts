import type { Queryer } from './database.js';

export interface SessionRow {
  user_id: number;
  username: string;
  sysadmin: boolean;
  csrf_token: string;
  /** Milliseconds until the session expires, by the database's clock. */
  remaining_ms: number;
}

export async function saveSession(q: Queryer, s: { idHash: string; userId: number; csrfToken: string; timeoutMs: number }): Promise<void> {
  await q.query(`INSERT INTO sessions (id_hash, user_id, csrf_token, expires_at) VALUES ($1, $2, $3, now() + ($4::bigint * interval '1 millisecond'))`, [
    s.idHash,
    s.userId,
    s.csrfToken,
    s.timeoutMs,
  ]);
}

/** The live session with this id hash and its user; undefined when unknown or expired. */
export async function findSession(q: Queryer, idHash: string): Promise<SessionRow | undefined> {
  const { rows } = await q.query<SessionRow>(
    `SELECT s.user_id, u.username, u.sysadmin, s.csrf_token,
            (extract(epoch FROM s.expires_at - now()) * 1000)::bigint AS remaining_ms
       FROM sessions s JOIN users u ON u.id = s.user_id
      WHERE s.id_hash = $1 AND s.expires_at > now()`,
    [idHash],
  );
  return rows[0];
}

export async function extendSession(q: Queryer, idHash: string, timeoutMs: number): Promise<void> {
  await q.query(`UPDATE sessions SET expires_at = now() + ($2::bigint * interval '1 millisecond') WHERE id_hash = $1 AND expires_at > now()`, [
    idHash,
    timeoutMs,
  ]);
}

/** Ends a live session; the user name it belonged to, or undefined when there was none. */
export async function removeSession(q: Queryer, idHash: string): Promise<string | undefined> {
  const { rows } = await q.query<{ username: string }>(
    'DELETE FROM sessions s USING users u WHERE s.id_hash = $1 AND s.expires_at > now() AND u.id = s.user_id RETURNING u.username',
    [idHash],
  );
  return rows[0]?.username;
}

/** Ends every session of a user except, optionally, one (the caller's own). */
export async function removeUserSessions(q: Queryer, userId: number, exceptIdHash?: string): Promise<number> {
  const res = await q.query('DELETE FROM sessions WHERE user_id = $1 AND id_hash IS DISTINCT FROM $2', [userId, exceptIdHash ?? null]);
  return res.rowCount;
}

export async function purgeExpiredSessions(q: Queryer): Promise<number> {
  const res = await q.query('DELETE FROM sessions WHERE expires_at <= now()');
  return res.rowCount;
}
