import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { authEnvName, authSettingKeys } from '../../server/config/authSettings.js';
import { ConfigError, loadConfig } from '../../server/config/config.js';

describe('configuration', () => {
  it('has embedded defaults', () => {
    const c = loadConfig({});
    assert.equal(c.port, 5000);
    assert.equal(c.databaseUrl, undefined);
    assert.equal(c.workers, os.availableParallelism());
    assert.equal(c.embeddedDbUser, 'berth');
    assert.equal(c.dataDir, path.resolve('./data'));
    assert.equal(c.storageDir, path.join(path.resolve('./data'), 'blobs'));
    assert.equal(c.uploadMaxAgeMs, 24 * 3600 * 1000);
    assert.equal(c.auditLog, true);
    assert.equal(c.auditRetentionMs, 365 * 86_400_000);
    assert.deepEqual(c.trustedProxies, []);
    assert.equal(c.sessionTimeoutMs, 60 * 60_000);
  });

  it('reads audit and proxy settings', () => {
    const c = loadConfig({
      BERTH_TRUSTED_PROXIES: 'loopback, 10.0.0.0/8',
      BERTH_AUDIT_SYSLOG: 'tcp://siem.internal:6514',
      BERTH_AUDIT_RETENTION: '0d',
      BERTH_AUDIT_LOG: 'false',
    });
    assert.deepEqual(c.trustedProxies, ['loopback', '10.0.0.0/8']);
    assert.equal(c.auditSyslog, 'tcp://siem.internal:6514');
    assert.equal(c.auditRetentionMs, 0);
    assert.equal(c.auditLog, false);
  });

  it('reads the S3 settings, and needs a bucket for them', () => {
    assert.equal(loadConfig({}).s3, undefined);
    assert.throws(() => loadConfig({ BERTH_STORAGE: 's3' }), /BERTH_S3_BUCKET: required with BERTH_STORAGE=s3/);
    assert.throws(() => loadConfig({ BERTH_STORAGE: 's3', BERTH_S3_BUCKET: 'Bad_Bucket' }), /BERTH_S3_BUCKET/);
    assert.throws(() => loadConfig({ BERTH_STORAGE: 's3', BERTH_S3_BUCKET: 'bk1', BERTH_S3_PREFIX: 'no-slash' }), /BERTH_S3_PREFIX/);
    const c = loadConfig({
      BERTH_STORAGE: 's3',
      BERTH_S3_BUCKET: 'registry-blobs',
      BERTH_S3_ENDPOINT: 'http://minio:9000',
      BERTH_S3_FORCE_PATH_STYLE: 'true',
      BERTH_S3_PREFIX: 'berth/',
    });
    assert.deepEqual(c.s3, {
      bucket: 'registry-blobs',
      endpoint: 'http://minio:9000',
      region: 'us-east-1',
      forcePathStyle: true,
      prefix: 'berth/',
      redirect: false,
    });
  });

  it('uses one worker per CPU with PostgreSQL unless told otherwise', () => {
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://x@h/db' }).workers, os.availableParallelism());
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://x@h/db', BERTH_WORKERS: '3' }).workers, 3);
    assert.equal(loadConfig({ BERTH_WORKERS: '4' }).workers, 4, 'the embedded database serves several workers');
  });

  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'eighty' }, /^PORT=/],
    [{ PORT: '70000' }, /^PORT=/],
    [{ BERTH_WORKERS: '0', DATABASE_URL: 'postgres://h/db' }, /^BERTH_WORKERS=/],
    [{ BERTH_UPLOAD_MAX_AGE: 'soon' }, /^BERTH_UPLOAD_MAX_AGE=/],
    [{ BERTH_UPLOAD_PURGE_INTERVAL: '0s' }, /^BERTH_UPLOAD_PURGE_INTERVAL=/],
    [{ DATABASE_URL: 'mysql://h/db' }, /^DATABASE_URL: must be a postgres:\/\/ URL/],
    [{ BERTH_TRUSTED_PROXIES: '10.0.0.0/99' }, /^BERTH_TRUSTED_PROXIES=/],
    [{ BERTH_AUDIT_SYSLOG: 'http://siem:514' }, /^BERTH_AUDIT_SYSLOG=/],
    [{ BERTH_AUDIT_RETENTION: 'forever' }, /^BERTH_AUDIT_RETENTION=/],
    [{ BERTH_SESSION_TIMEOUT: '10s' }, /^BERTH_SESSION_TIMEOUT=/],
    [{ BERTH_STORAGE: 'floppy' }, /^BERTH_STORAGE=/],
    [{ BERTH_LOG_LEVEL: 'loud' }, /^BERTH_LOG_LEVEL=/],
    [{ BERTH_PROT: '1' }, /^BERTH_PROT: unknown setting/],
    [{ BERTH_LDAP_URL: 'http://ldap' }, /^BERTH_LDAP_URL=/],
    [{ BERTH_LDAP_SCOPE: 'deep' }, /^BERTH_LDAP_SCOPE=/],
    [{ BERTH_AUTH_MODES: 'db_auth,kerberos' }, /^BERTH_AUTH_MODES=/],
  ];
  for (const [env, message] of bad) {
    it(`refuses ${JSON.stringify(env)} naming the setting`, () => {
      assert.throws(
        () => loadConfig(env),
        (err: unknown) => err instanceof ConfigError && message.test(err.message),
      );
    });
  }

  it('reads sign-in settings pinned by the environment under their Harbor names', () => {
    const c = loadConfig({
      BERTH_AUTH_MODES: 'db_auth, ldap_auth',
      BERTH_LDAP_URL: 'ldaps://ldap.example.com:636',
      BERTH_LDAP_SCOPE: '1',
      BERTH_LDAP_GROUP_NESTED: 'true',
    });
    assert.deepEqual(c.authOverrides, {
      auth_modes: ['db_auth', 'ldap_auth'],
      ldap_url: 'ldaps://ldap.example.com:636',
      ldap_scope: 1,
      ldap_group_nested: true,
    });
    assert.deepEqual(loadConfig({}).authOverrides, {});
    assert.throws(
      () => loadConfig({ BERTH_LDAP_SEARCH_PASSWORD: 'x'.repeat(2000) }),
      (err: unknown) => err instanceof ConfigError && err.message.startsWith('BERTH_LDAP_SEARCH_PASSWORD:') && !err.message.includes('xxxx'),
    );
  });

  it('documents every sign-in setting in the operations guide', () => {
    const guide = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
    for (const key of authSettingKeys) assert.ok(guide.includes(`| \`${key}\` | \`${authEnvName(key)}\``), key);
  });

  it('never echoes a database password in an error', () => {
    assert.throws(
      () => loadConfig({ DATABASE_URL: 'mysql://u:hunter2@h/db' }),
      (err: unknown) => err instanceof ConfigError && !err.message.includes('hunter2'),
    );
  });

  it('reads a JSON config file, the environment winning', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-cfg-'));
    const file = path.join(dir, 'berth.json');
    writeFileSync(file, JSON.stringify({ PORT: 6000, BERTH_LOG_LEVEL: 'debug' }));
    const c = loadConfig({ BERTH_CONFIG: file, BERTH_LOG_LEVEL: 'warn' });
    assert.equal(c.port, 6000);
    assert.equal(c.logLevel, 'warn');
    writeFileSync(file, JSON.stringify({ PORTT: 1 }));
    assert.throws(() => loadConfig({ BERTH_CONFIG: file }), /PORTT \(in .*\): unknown setting/);
    writeFileSync(file, '{not json');
    assert.throws(() => loadConfig({ BERTH_CONFIG: file }), /^ConfigError: BERTH_CONFIG: cannot read/);
  });
});
