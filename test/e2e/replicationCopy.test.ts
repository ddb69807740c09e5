// Replication with CNCF Distribution (Debian docker-registry, no auth) as the other
// registry: a Berth process saves it as an endpoint and pings it (sealing the secret with
// BERTH_SECRET_KEY, so no key file is written), and the copy engine moves a multi-arch
// image from Berth to Distribution and back into another Berth repository, with the same
// digests all the way.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { secretBox } from '../../server/replication/secretBox.js';
import { RegistryClient } from '../../replication/transfer/client.js';
import { copyArtifact } from '../../replication/transfer/copy.js';
import { admin, basic, createProject } from '../helpers/api.js';
import { startBerth, type BerthProcess } from '../helpers/berthProcess.js';
import { asBody, getBytes, pushImage, sha256, v2fetch } from '../helpers/v2client.js';
import { dumpLogsOnFailure } from './support/diagnostics.js';
import { startRegistry, type TargetRegistry } from './support/registry.js';

describe(`e2e: replication copy with CNCF Distribution`, () => {
  let berth: BerthProcess | undefined;
  let distribution: TargetRegistry | undefined;
  const allow = { loopback: true, private: false };
  const key = randomBytes(32);

  before(async () => {
    [berth, distribution] = await Promise.all([
      startBerth({ env: { BERTH_REPLICATION_ALLOW: 'loopback', BERTH_SECRET_KEY: key.toString('base64') } }),
      startRegistry('distribution'),
    ]);
    await createProject(berth.url, 'site');
  });
  afterEach(function () {
    dumpLogsOnFailure(this, [
      ['berth', () => berth?.output() ?? ''],
      ['distribution', () => distribution?.output() ?? ''],
    ]);
  });
  after(async () => {
    await berth?.dispose();
    await distribution?.dispose();
  });

  it('copies a multi-arch index Berth -> Distribution -> Berth with identical digests', async () => {
    const amd = await pushImage(berth!.url, 'site/app', 'amd');
    const arm = await pushImage(berth!.url, 'site/app', 'arm');
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: amd.digest,
            size: amd.body.length,
            platform: { architecture: 'amd64', os: 'linux' },
          },
          {
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            digest: arm.digest,
            size: arm.body.length,
            platform: { architecture: 'arm64', os: 'linux' },
          },
        ],
      }),
    );
    const put = await v2fetch(`${berth!.url}/v2/site/app/manifests/v1`, {
      method: 'PUT',
      body: asBody(index),
      headers: { 'Content-Type': 'application/vnd.oci.image.index.v1+json' },
    });
    assert.equal(put.status, 201);

    const local = new RegistryClient({ url: berth!.url, insecure: false, credential: admin }, allow);
    const remote = new RegistryClient({ url: distribution!.url, insecure: false }, allow);
    const out = await copyArtifact(local, 'site/app', remote, 'mirror/app', 'v1');
    assert.equal(out.digest, sha256(index));
    const there = await fetch(`${distribution!.url}/v2/mirror/app/manifests/v1`, { headers: { Accept: 'application/vnd.oci.image.index.v1+json' } });
    assert.equal(there.status, 200);
    assert.equal(there.headers.get('docker-content-digest'), sha256(index));
    assert.ok(Buffer.from(await there.arrayBuffer()).equals(index));

    const back = await copyArtifact(remote, 'mirror/app', local, 'site/returned', 'v1');
    assert.equal(back.digest, sha256(index));
    assert.equal(back.progress.manifests, 3);
    const returned = await getBytes(`${berth!.url}/v2/site/returned/manifests/v1`, { headers: { Accept: 'application/vnd.oci.image.index.v1+json' } });
    assert.ok(returned.body.equals(index));
    for (const child of [amd, arm]) {
      const m = await getBytes(`${berth!.url}/v2/site/returned/manifests/${child.digest}`);
      assert.ok(m.body.equals(child.body));
    }
  });

  it('saves Distribution as a docker-registry endpoint, pings it healthy, and seals the secret with BERTH_SECRET_KEY', async () => {
    const headers = { Authorization: basic(admin), 'Content-Type': 'application/json' };
    const res = await fetch(`${berth!.url}/api/v2.0/registries`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        name: 'distribution',
        type: 'docker-registry',
        url: distribution!.url,
        credential: { access_key: 'unused', access_secret: 'Unused-Passw0rd' },
      }),
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
