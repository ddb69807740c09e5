// On the S3 tier: with BERTH_S3_REDIRECT, skopeo pulls an image whose blobs Berth answers
// with 307 to pre-signed URLs; the layers come from the store, and the copy verifies.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { admin, createProject } from '../helpers/api.js';
import { startBerth, type BerthProcess } from '../helpers/berthProcess.js';
import { testStorage } from '../helpers/s3.js';
import { pushImage } from '../helpers/v2client.js';

const run = promisify(execFile);

describe('e2e: blob pulls redirected to S3', function () {
  this.timeout(120_000);
  let berth: BerthProcess | undefined;
  let dir: string | undefined;

  before(async function () {
    if (testStorage !== 's3') this.skip();
    berth = await startBerth({ env: { BERTH_S3_REDIRECT: 'true' } });
    dir = await mkdtemp(path.join(os.tmpdir(), 'berth-redirect-'));
  });
  after(async () => {
    await berth?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lets skopeo pull through the redirects, digests verified', async () => {
    await createProject(berth!.url, 'site');
    const img = await pushImage(berth!.url, 'site/app', 'v1');
    await run('skopeo', [
      'copy',
      '--src-tls-verify=false',
      '--src-creds',
      `${admin.username}:${admin.password}`,
      `docker://${berth!.host}/site/app:v1`,
      `oci:${dir}:v1`,
    ]);
    const { stdout } = await run('skopeo', ['inspect', '--raw', `oci:${dir}:v1`]);
    // skopeo may compress the uncompressed test layer for the OCI layout; the config it keeps as is.
    assert.equal(JSON.parse(stdout).config.digest, JSON.parse(img.body.toString()).config.digest);
    const metrics = await (await fetch(`${berth!.url}/metrics`)).text();
    const redirected = metrics.split('\n').find((l) => l.startsWith('berth_http_requests_total{method="GET",route="/v2/:name/blobs/:digest",status="307"}'));
    assert.ok(redirected && Number(redirected.split(' ')[1]) >= 2, `config and layer redirected: ${redirected}`);
  });
});
