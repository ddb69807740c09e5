// The audit log's listing at scale: fills a fresh PostgreSQL database with N rows (10
// million by default) shaped like a busy registry's (mostly pulls and logins, a thousand
// users, a hundred projects), then times the API's list requests through a real Berth
// process. The rows carry placeholder hashes: this measures reading, not the chain.
// Run: npm run bench:audit [-- --rows N]
import { parseArgs } from 'node:util';
import pg from 'pg';
import { admin, basic } from '../test/helpers/api.js';
import { startBerth } from '../test/helpers/berthProcess.js';
import { createTestDatabase } from '../test/helpers/database.js';

const { values } = parseArgs({ options: { rows: { type: 'string' } } });
const total = Number(values.rows ?? 10_000_000);
const log = (m: string) => process.stderr.write(`[audit-bench] ${m}\n`);

const db = await createTestDatabase();
const berth = await startBerth({ database: { url: db.url }, workers: 1 });
try {
  const client = new pg.Client({ connectionString: db.url });
  await client.connect();
  log(`inserting ${total} rows`);
  const started = Date.now();
  const batch = 1_000_000;
  for (let from = 1; from <= total; from += batch) {
    const to = Math.min(total, from + batch - 1);
    // One row per second over the past N seconds; 80% pulls, 10% logins, 10% changes.
    await client.query(
      `INSERT INTO audit_log
       SELECT i, now() - make_interval(secs => $2::bigint - i),
              'user' || (i % 1000), 'user', '10.0.' || (i % 250) || '.' || (i % 200),
              CASE WHEN i % 10 < 8 THEN 'pull' WHEN i % 10 = 8 THEN 'login' ELSE (ARRAY['create','delete','update'])[1 + i % 3] END,
              CASE WHEN i % 10 = 8 THEN 'user_login_logout' ELSE 'artifact' END,
              'p' || (i % 100) || '/app' || (i % 37) || ':v' || (i % 50) || '@sha256:' || md5(i::text) || md5((i + 1)::text),
              i % 100 + 1, 'p' || (i % 100), true, 1, NULL, 'docker/27.0', NULL, md5((i - 1)::text), md5(i::text)
         FROM generate_series($1::bigint, $3::bigint) AS i`,
      [from, total, to],
    );
    log(`  ${to} rows (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  await client.query(`UPDATE audit_chain SET last_id = $1::bigint, last_hash = md5($1::bigint::text)`, [total]);
  await client.query('VACUUM ANALYZE audit_log');
  const size = (await client.query<{ bytes: string }>(`SELECT pg_total_relation_size('audit_log') AS bytes`)).rows[0].bytes;
  log(`table with indexes: ${(Number(size) / 1024 ** 3).toFixed(2)} GiB (${(Number(size) / total).toFixed(0)} bytes per row)`);
  await client.end();

  const headers = { Authorization: basic(admin) };
  const q = (s: string) => encodeURIComponent(s);
  const mid = new Date(Date.now() - (total / 2) * 1000).toISOString().slice(0, 19);
  const now = new Date().toISOString().slice(0, 19);
  const dayAgo = new Date(Date.now() - 86_400_000).toISOString().slice(0, 19);
  const midEnd = new Date(Date.now() - (total / 2 - 3600) * 1000).toISOString().slice(0, 19);
  const cases: Array<[string, string]> = [
    ['newest page, no filter', '/api/v2.0/audit-logs?page_size=100'],
    ['page 50,000, no filter', '/api/v2.0/audit-logs?page_size=100&page=50000'],
    ['one user', `/api/v2.0/audit-logs?page_size=100&q=${q('username=user42')}`],
    ['one user, page 50', `/api/v2.0/audit-logs?page_size=100&page=50&q=${q('username=user42')}`],
    ['deletes', `/api/v2.0/audit-logs?page_size=100&q=${q('operation=delete')}`],
    ['one hour, mid-range', `/api/v2.0/audit-logs?page_size=100&q=${q(`op_time=[${mid}~${midEnd}]`)}`],
    ['resource contains (rare), whole log', `/api/v2.0/audit-logs?page_size=100&q=${q('resource=~p7/app3:v9@')}`],
    ['resource contains (rare), one day', `/api/v2.0/audit-logs?page_size=100&q=${q(`resource=~p7/app3:v9@,op_time=[${dayAgo}~${now}]`)}`],
    ['one project (project admin view)', '/api/v2.0/projects/1/logs?page_size=100'],
  ];
  // The projects the rows name must exist for the project view.
  const resultRows: string[] = [];
  for (const [name, path] of cases) {
    if (path.startsWith('/api/v2.0/projects/1/')) {
      await fetch(`${berth.url}/api/v2.0/projects`, {
        method: 'POST',
        headers: { ...headers, 'Content-Type': 'application/json' },
        body: JSON.stringify({ project_name: 'p0' }),
      });
    }
    const times: number[] = [];
    let count = '';
    for (let i = 0; i < 6; i++) {
      const t = performance.now();
      const res = await fetch(`${berth.url}${path}`, { headers });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      count = res.headers.get('X-Total-Count') ?? '';
      if (i > 0) times.push(performance.now() - t); // the first run warms the cache
    }
    times.sort((a, b) => a - b);
    resultRows.push(`| ${name} | ${Number(count).toLocaleString('en-US')} | ${times[2].toFixed(0)} | ${times[4].toFixed(0)} |`);
  }
  // Following Link cursors 100 pages deep into one user's rows.
  let next: string | undefined = `/api/v2.0/audit-logs?page_size=100&q=${q('username=user42')}`;
  const t = performance.now();
  for (let i = 0; i < 100 && next; i++) {
    const res: Response = await fetch(`${berth.url}${next}`, { headers });
    await res.arrayBuffer();
    next = /<([^>]+)>; rel="next"/.exec(res.headers.get('Link') ?? '')?.[1];
  }
  const walk = (performance.now() - t) / 100;
  console.log(
    [
      `Audit log listing with ${total.toLocaleString('en-US')} rows (PostgreSQL, table and indexes ${(Number(size) / 1024 ** 3).toFixed(2)} GiB, ${(Number(size) / total).toFixed(0)} bytes per row), through the API, 100 rows per page:`,
      '',
      '| Request | X-Total-Count | median, ms | slowest of 5, ms |',
      '|---|--:|--:|--:|',
      ...resultRows,
      '',
      `Following the next Link (keyset cursor) 100 pages into one user's rows: ${walk.toFixed(0)} ms per page.`,
    ].join('\n'),
  );
} finally {
  await berth.stop();
  await db.drop();
}
