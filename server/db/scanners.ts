import type { Queryer } from './database.js';

export interface ScannerRow {
  id: number;
  uuid: string;
  name: string;
  description: string;
  url: string;
  auth: string;
  access_credential_enc: string | null;
  skip_cert_verify: boolean;
  use_internal_addr: boolean;
  disabled: boolean;
  is_default: boolean;
  created_at: Date;
  updated_at: Date;
}

const columns =
  'id, uuid, name, description, url, auth, access_credential_enc, skip_cert_verify, use_internal_addr, disabled, is_default, created_at, updated_at';

export interface ScannerFields {
  name: string;
  description: string;
  url: string;
  auth: string;
  accessCredentialEnc: string | null;
  skipCertVerify: boolean;
  useInternalAddr: boolean;
  disabled: boolean;
}

/** Which unique field another registration already holds, if any. */
export async function scannerClash(q: Queryer, f: Pick<ScannerFields, 'name' | 'url'>, exceptId?: number): Promise<'name' | 'url' | undefined> {
  const { rows } = await q.query<{ name: string; url: string }>('SELECT name, url FROM scanners WHERE (name = $1 OR url = $2) AND id IS DISTINCT FROM $3', [
    f.name,
    f.url,
    exceptId ?? null,
  ]);
  if (rows.some((r) => r.name === f.name)) return 'name';
  return rows.length ? 'url' : undefined;
}

/** Inserts a registration; the first one becomes the default, as in Harbor. */
export async function saveScanner(q: Queryer, uuid: string, f: ScannerFields): Promise<ScannerRow> {
  const { rows } = await q.query<ScannerRow>(
    `INSERT INTO scanners (uuid, name, description, url, auth, access_credential_enc, skip_cert_verify, use_internal_addr, disabled, is_default)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NOT EXISTS (SELECT 1 FROM scanners)) RETURNING ${columns}`,
    [uuid, f.name, f.description, f.url, f.auth, f.accessCredentialEnc, f.skipCertVerify, f.useInternalAddr, f.disabled],
  );
  return rows[0];
}

export async function updateScanner(q: Queryer, id: number, f: ScannerFields): Promise<void> {
  await q.query(
    `UPDATE scanners SET name = $2, description = $3, url = $4, auth = $5, access_credential_enc = $6, skip_cert_verify = $7,
            use_internal_addr = $8, disabled = $9, updated_at = now() WHERE id = $1`,
    [id, f.name, f.description, f.url, f.auth, f.accessCredentialEnc, f.skipCertVerify, f.useInternalAddr, f.disabled],
  );
}

export async function findScannerByUuid(q: Queryer, uuid: string): Promise<ScannerRow | undefined> {
  const { rows } = await q.query<ScannerRow>(`SELECT ${columns} FROM scanners WHERE uuid = $1`, [uuid]);
  return rows[0];
}

export async function findScannerById(q: Queryer, id: number): Promise<ScannerRow | undefined> {
  const { rows } = await q.query<ScannerRow>(`SELECT ${columns} FROM scanners WHERE id = $1`, [id]);
  return rows[0];
}

export async function listScanners(q: Queryer, limit: number, offset: number): Promise<{ rows: ScannerRow[]; total: number }> {
  const [{ rows }, count] = await Promise.all([
    q.query<ScannerRow>(`SELECT ${columns} FROM scanners ORDER BY id LIMIT $1 OFFSET $2`, [limit, offset]),
    q.query<{ n: number }>('SELECT count(*)::int AS n FROM scanners', []),
  ]);
  return { rows, total: count.rows[0].n };
}

export async function removeScanner(q: Queryer, id: number): Promise<void> {
  await q.query('DELETE FROM scanners WHERE id = $1', [id]);
}

/** Makes this registration the only default. */
export async function setDefaultScanner(q: Queryer, id: number): Promise<void> {
  await q.query('UPDATE scanners SET is_default = false, updated_at = now() WHERE is_default AND id <> $1', [id]);
  await q.query('UPDATE scanners SET is_default = true, updated_at = now() WHERE id = $1', [id]);
}

/** The scanner that scans a project: its own registration, else the system default. */
export async function scannerOfProject(q: Queryer, projectId: number): Promise<(ScannerRow & { own: boolean }) | undefined> {
  const { rows } = await q.query<ScannerRow & { own: boolean }>(
    `SELECT ${columns.replace(/(\w+)/g, 's.$1')}, ps.project_id IS NOT NULL AS own
       FROM scanners s LEFT JOIN project_scanners ps ON ps.scanner_id = s.id AND ps.project_id = $1
      WHERE ps.project_id IS NOT NULL OR (s.is_default AND NOT EXISTS (SELECT 1 FROM project_scanners WHERE project_id = $1))`,
    [projectId],
  );
  return rows[0];
}

export async function setProjectScanner(q: Queryer, projectId: number, scannerId: number): Promise<void> {
  await q.query(
    `INSERT INTO project_scanners (project_id, scanner_id) VALUES ($1, $2)
     ON CONFLICT ON CONSTRAINT pk_project_scanners DO UPDATE SET scanner_id = EXCLUDED.scanner_id`,
    [projectId, scannerId],
  );
}

/** The enabled scanner of a project that scans on push, or undefined (no auto_scan, no scanner, or disabled). */
export async function autoScanScanner(q: Queryer, projectName: string): Promise<number | undefined> {
  const { rows } = await q.query<{ id: number }>(
    `SELECT s.id FROM projects p
       LEFT JOIN project_scanners ps ON ps.project_id = p.id
       JOIN scanners s ON s.id = coalesce(ps.scanner_id, (SELECT d.id FROM scanners d WHERE d.is_default))
      WHERE p.name = $1 AND p.auto_scan AND NOT s.disabled`,
    [projectName],
  );
  return rows[0]?.id;
}
