// The deployment files an operator uses: the compose file must be valid for Debian's
// docker-compose (there is no Docker engine here to build or run it).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/berthProcess.js';

describe('deployment files', () => {
  it('docker-compose.yml validates with docker-compose config', () => {
    const r = spawnSync('docker-compose', ['-f', path.join(repoRoot, 'docker-compose.yml'), 'config', '-q'], { encoding: 'utf8' });
    assert.ok(!r.error, 'docker-compose is missing: apt-get install docker-compose');
    assert.equal(r.status, 0, r.stderr);
  });

  it('publishes a port range for several Berth replicas when asked', () => {
    const config = (env: Record<string, string>) =>
      spawnSync('docker-compose', ['-f', path.join(repoRoot, 'docker-compose.yml'), 'config'], { encoding: 'utf8', env: { ...process.env, ...env } });
    const one = config({});
    assert.equal(one.status, 0, one.stderr);
    assert.match(one.stdout, /127\.0\.0\.1:5000:5000/);
    const two = config({ BERTH_PORTS: '5000-5001' });
    assert.equal(two.status, 0, two.stderr);
    assert.match(two.stdout, /127\.0\.0\.1:5000-5001:5000/);
  });

  it('has the services of a deployment, and MinIO under the s3 profile only', () => {
    const r = spawnSync('docker-compose', ['-f', path.join(repoRoot, 'docker-compose.yml'), 'config', '--services'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n').sort(), ['berth', 'minio', 'minio-bucket', 'postgres', 'worker']);
    // Debian's docker-compose lists every service; the profiles are read from the file.
    const text = readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8');
    const profileOf = (service: string) => new RegExp(`^  ${service}:\\n(?:    .*\\n|\\s*\\n)*?    profiles: \\["s3"\\]`, 'm').test(text);
    assert.deepEqual(['postgres', 'berth', 'worker', 'minio', 'minio-bucket'].map(profileOf), [false, false, false, true, true]);
  });

  it('the Dockerfile is multi-stage and runs as a non-root user', () => {
    const text = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
    assert.ok((text.match(/^FROM /gm) ?? []).length >= 2, 'multi-stage');
    assert.match(text, /^USER (?!root|0\b)\S+/m);
  });
});
