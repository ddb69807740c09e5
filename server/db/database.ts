// The database interface over PostgreSQL (pg.Pool): services own transactions through
// tx(); SQL modules take a Queryer as their first argument.
import pg from 'pg';

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface Queryer {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<QueryResult<T>>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface Database extends Queryer {
  tx<T>(fn: (q: Queryer) => Promise<T>): Promise<T>;
  /** Runs fn holding a database-wide exclusive lock (migrations from several servers at once). */
  withExclusiveLock<T>(lockId: number, fn: (q: Queryer) => Promise<T>): Promise<T>;
  /**
   * Unprepared SQL for libraries that bring their own statements (pg-boss): with values,
   * one statement; without, a script whose rows are returned together.
   */
  executeSql(text: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  /** Connections in use / total, for health and metrics. */
  poolUse(): { used: number; total: number };
  close(): Promise<void>;
}

// int8 (sizes, ids) as numbers: every value Berth stores fits in 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

// Berth's SQL is static text, so each distinct statement is prepared once per connection
// (saves a parse/plan round per request on the hot manifest path).
const statementNames = new Map<string, string>();
function statementName(sql: string): string {
  let name = statementNames.get(sql);
  if (!name) {
    name = `berth_${statementNames.size + 1}`;
    statementNames.set(sql, name);
  }
  return name;
}

function pgQueryer(client: pg.Pool | pg.PoolClient): Queryer {
  return {
    async query<T>(sql: string, params: unknown[] = []) {
      const res = await client.query({ name: statementName(sql), text: sql, values: params });
      return { rows: res.rows as T[], rowCount: res.rowCount ?? 0 };
    },
    async exec(sql: string) {
      await client.query(sql);
    },
  };
}

/** The database Berth runs on: DATABASE_URL's, or the embedded cluster's (embeddedPostgres.ts). */
export function openDatabase({ databaseUrl, poolSize }: { databaseUrl: string; poolSize: number }): Database {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize, idleTimeoutMillis: 30_000 });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const base = pgQueryer(pool);
  return {
    ...base,
    async tx(fn) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(pgQueryer(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.release();
      }
    },
    async withExclusiveLock(lockId, fn) {
      const client = await pool.connect();
      try {
        await client.query('SELECT pg_advisory_lock($1)', [lockId]);
        try {
          return await fn(pgQueryer(client));
        } finally {
          await client.query('SELECT pg_advisory_unlock($1)', [lockId]);
        }
      } finally {
        client.release();
      }
    },
    async executeSql(text, values) {
      const res = await pool.query(text, values?.length ? values : undefined);
      // A script answers with one result per statement.
      return { rows: Array.isArray(res) ? res.flatMap((r: pg.QueryResult) => r.rows) : res.rows };
    },
    poolUse: () => ({ used: pool.totalCount - pool.idleCount, total: poolSize }),
    close: () => pool.end(),
  };
}

/** A LIKE pattern matching the repositories of a project (`<project>/…`), wildcards escaped. */
export function projectRepositoriesPattern(projectName: string): string {
  return `${projectName.replace(/[\\%_]/g, (c) => `\\${c}`)}/%`;
}

/**
 * One page, in id order, of the rows of `table` whose `column` contains `text` (all rows
 * when it is undefined), with the total. Table and column names come from code only.
 */
export async function pageWhereContains<T>(
  q: Queryer,
  source: { table: string; columns: string; column: string },
  text: string | undefined,
  limit: number,
  offset: number,
): Promise<{ rows: T[]; total: number }> {
  const where = `($1::text IS NULL OR strpos(${source.column}, $1) > 0)`;
  const total = (await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${source.table} WHERE ${where}`, [text ?? null])).rows[0].n;
  const { rows } = await q.query<T>(`SELECT ${source.columns} FROM ${source.table} WHERE ${where} ORDER BY id LIMIT $2 OFFSET $3`, [
    text ?? null,
    limit,
    offset,
  ]);
  return { rows, total };
}

/** Whether another row of `table` (names from code only) already has this name. */
export async function nameTakenByAnother(q: Queryer, table: string, name: string, id: number): Promise<boolean> {
  const { rows } = await q.query(`SELECT 1 FROM ${table} WHERE name = $1 AND id <> $2`, [name, id]);
  return rows.length > 0;
}
