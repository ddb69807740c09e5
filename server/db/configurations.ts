import type { Queryer } from './database.js';

/** Every stored setting (Harbor's /configurations), by key. */
export async function listConfigurations(q: Queryer): Promise<Map<string, unknown>> {
  const { rows } = await q.query<{ key: string; value: unknown }>('SELECT key, value FROM configurations');
  return new Map(rows.map((r) => [r.key, r.value]));
}

/** Stores the given settings, each replacing its row. */
export async function saveConfigurations(q: Queryer, values: Record<string, unknown>): Promise<void> {
  for (const [key, value] of Object.entries(values)) {
    await q.query(
      `INSERT INTO configurations (key, value) VALUES ($1, $2::jsonb)
       ON CONFLICT ON CONSTRAINT pk_configurations DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
      [key, JSON.stringify(value)],
    );
  }
}
