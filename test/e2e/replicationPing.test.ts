// A Berth process adds CNCF Distribution (Debian docker-registry, no auth) as a
// replication endpoint and pings it; the process takes its secret key from
// BERTH_SECRET_KEY and so writes no key file.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { secretBox } from '../../server/replication/secretBox.js';
import { admin, basic } from '../helpers/api.js';
import { startBerth, type BerthProcess } from '../helpers/berthProcess.js';
import { testDbKind } from '../helpers/database.js';
import { dumpLogsOnFailure } from './support/diagnostics.js';
import { startRegistry, type TargetRegistry } from './support/registry.js';

describe(`e2e: replication endpoint to CNCF Distribution (${testDbKind})`, function () {
  let berth: BerthProcess | undefined;
  let distribution: TargetRegistry | undefined;
  const key = randomBytes(32);

  before(async function () {
    distribution = await startRegistry('distribution');
    berth = await startBerth({ env: { BERTH_REPLICATION_ALLOW: 'loopback', BERTH_SECRET_KEY: key.toString('base64') } });
  });
  afterEach(function () {
    dumpLogsOnFailure(this, [
      ['berth', () => berth?.output() ?? ''],
      ['distribution', () => distribution?.output() ?? ''],
    ]);
  });
  after(async function () {
    await berth?.dispose();
    await distribution?.dispose();
  });

  it('saves Distribution as a docker-registry endpoint, pings it healthy, and seals the secret with BERTH_SECRET_KEY', async function () {
    const headers = { Authorization: basic(admin), 'Content-Type': 'application/json' };
    const res = await fetch(`${berth!.url}/api/v2.0/registries`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ name: 'distribution', type: 'docker-registry', url: distribution!.url, credential: { access_key: 'unused', access_secret: 'Unused-Passw0rd' } }),
    });
    assert.equal(res.status, 201, await res.clone().text());
    const id = Number(res.headers.get('Location')!.split('/').pop());
    const ping = await fetch(`${berth!.url}/api/v2.0/registries/ping`, { method: 'POST', headers, body: JSON.stringify({ id }) });
    assert.equal(ping.status, 200, await ping.clone().text());
    const shown = await (await fetch(`${berth!.url}/api/v2.0/registries/${id}`, { headers })).json();
    assert.equal(shown.status, 'healthy');
    assert.equal(existsSync(path.join(berth!.dataDir, 'secret.key')), false, 'the configured key is used, no key file is written');
    if (berth!.databaseUrl) {
      const pg = (await import('pg')).default;
      const client = new pg.Client({ connectionString: berth!.databaseUrl });
      await client.connect();
      try {
        const sealed = (await client.query('SELECT access_secret_enc FROM registries WHERE id = $1', [id])).rows[0].access_secret_enc;
        assert.equal(secretBox(key).open(sealed), 'Unused-Passw0rd');
      } finally {
        await client.end();
      }
    }
  });
});
