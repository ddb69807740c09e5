import { pageWhereContains, type Queryer } from './database.js';

export interface UserRow {
  id: number;
  username: string;
  email: string | null;
  realname: string | null;
  comment: string;
  /** null for directory users: the directory checks their password. */
  password_hash: string | null;
  sysadmin: boolean;
  /** Where the user signs in: db (here), ldap, oidc. */
  source: UserSource;
  /** What the source knows them by (an LDAP DN, an OIDC issuer and subject); null for local users. */
  external_id: string | null;
  created_at: Date;
  updated_at: Date;
}

export type UserSource = 'db' | 'ldap' | 'oidc';

const columns = 'id, username, email, realname, comment, password_hash, sysadmin, source, external_id, created_at, updated_at';

export async function findUserByName(q: Queryer, username: string): Promise<UserRow | undefined> {
  const { rows } = await q.query<UserRow>(`SELECT ${columns} FROM users WHERE username = $1`, [username]);
  return rows[0];
}

export async function findUserById(q: Queryer, id: number): Promise<UserRow | undefined> {
  const { rows } = await q.query<UserRow>(`SELECT ${columns} FROM users WHERE id = $1`, [id]);
  return rows[0];
}

export async function findUserByExternalId(q: Queryer, source: UserSource, externalId: string): Promise<UserRow | undefined> {
  const { rows } = await q.query<UserRow>(`SELECT ${columns} FROM users WHERE source = $1 AND external_id = $2`, [source, externalId]);
  return rows[0];
}

/** Inserts a user of a directory (no password here); undefined when the name is taken. */
export async function saveDirectoryUser(
  q: Queryer,
  u: { username: string; source: UserSource; externalId: string; email?: string; realname?: string; sysadmin: boolean },
): Promise<UserRow | undefined> {
  const { rows } = await q.query<UserRow>(
    `INSERT INTO users (username, email, realname, source, external_id, sysadmin) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT DO NOTHING RETURNING ${columns}`,
    [u.username, u.email ?? null, u.realname ?? null, u.source, u.externalId, u.sysadmin],
  );
  return rows[0];
}

/** What a directory says of a user at each login; sysadmin only when an admin group decides it. */
export async function updateDirectoryUser(
  q: Queryer,
  id: number,
  u: { externalId: string; email?: string; realname?: string; sysadmin?: boolean },
): Promise<UserRow> {
  const { rows } = await q.query<UserRow>(
    `UPDATE users SET external_id = $2, email = COALESCE($3, email), realname = COALESCE($4, realname), sysadmin = COALESCE($5, sysadmin), updated_at = now()
      WHERE id = $1 RETURNING ${columns}`,
    [id, u.externalId, u.email ?? null, u.realname ?? null, u.sysadmin ?? null],
  );
  return rows[0];
}

/** Inserts a user; undefined when the name is taken. */
export async function saveUser(
  q: Queryer,
  u: { username: string; email?: string; realname?: string; passwordHash: string; sysadmin: boolean },
): Promise<UserRow | undefined> {
  const { rows } = await q.query<UserRow>(
    `INSERT INTO users (username, email, realname, password_hash, sysadmin) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT ON CONSTRAINT uq_users_username DO NOTHING RETURNING ${columns}`,
    [u.username, u.email ?? null, u.realname ?? null, u.passwordHash, u.sysadmin],
  );
  return rows[0];
}

export async function countFailures(q: Queryer, keys: string[], windowMs: number): Promise<number> {
  const { rows } = await q.query<{ failures: number }>(
    `SELECT COALESCE(max(failures), 0)::int AS failures FROM login_failures
      WHERE key = ANY($1::text[]) AND window_started_at > now() - ($2::bigint * interval '1 millisecond')`,
    [keys, windowMs],
  );
  return rows[0].failures;
}

/** Counts one failure for each key, starting a new window where the old one ended. */
export async function saveFailure(q: Queryer, keys: string[], windowMs: number): Promise<void> {
  for (const key of keys) {
    await q.query(
      `INSERT INTO login_failures (key, failures) VALUES ($1, 1)
       ON CONFLICT ON CONSTRAINT pk_login_failures DO UPDATE SET
         failures = CASE WHEN login_failures.window_started_at > now() - ($2::bigint * interval '1 millisecond') THEN login_failures.failures + 1 ELSE 1 END,
         window_started_at = CASE WHEN login_failures.window_started_at > now() - ($2::bigint * interval '1 millisecond') THEN login_failures.window_started_at ELSE now() END`,
      [key, windowMs],
    );
  }
}

export async function removeFailures(q: Queryer, key: string): Promise<void> {
  await q.query('DELETE FROM login_failures WHERE key = $1', [key]);
}

export async function listUsers(q: Queryer, usernameContains: string | undefined, limit: number, offset: number): Promise<{ rows: UserRow[]; total: number }> {
  return pageWhereContains<UserRow>(q, { table: 'users', columns, column: 'username' }, usernameContains, limit, offset);
}

/** Changes the profile fields given; the others stay. */
export async function updateProfile(q: Queryer, id: number, p: { email?: string; realname?: string; comment?: string }): Promise<boolean> {
  const res = await q.query(
    `UPDATE users SET email = COALESCE($2, email), realname = COALESCE($3, realname), comment = COALESCE($4, comment), updated_at = now() WHERE id = $1`,
    [id, p.email ?? null, p.realname ?? null, p.comment ?? null],
  );
  return res.rowCount > 0;
}

export async function updatePasswordHash(q: Queryer, id: number, passwordHash: string): Promise<void> {
  await q.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [id, passwordHash]);
}

export async function removeUser(q: Queryer, id: number): Promise<boolean> {
  const res = await q.query('DELETE FROM users WHERE id = $1', [id]);
  return res.rowCount > 0;
}

export async function updateSysadmin(q: Queryer, id: number, sysadmin: boolean): Promise<boolean> {
  const res = await q.query('UPDATE users SET sysadmin = $2, updated_at = now() WHERE id = $1', [id, sysadmin]);
  return res.rowCount > 0;
}
