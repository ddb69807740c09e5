// Sealing of remote registries' secrets (with the key file on disk) and the address checks
// of replication targets (with real name resolution of localhost).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSecretKey, parseSecretKey, secretBox } from '../../server/replication/secretBox.js';
import { checkTargetUrl, refusalOf } from '../../server/replication/targets.js';

describe('replication secrets and targets', () => {
  it('seals with AES-256-GCM: a fresh IV each time, tampering and another key detected', () => {
    const box = secretBox(randomBytes(32));
    const a = box.seal('s3cret-Passw0rd');
    assert.notEqual(a, box.seal('s3cret-Passw0rd'), 'a fresh IV every time');
    assert.equal(box.open(a), 's3cret-Passw0rd');
    const raw = Buffer.from(a.split(':')[2], 'base64');
    raw[raw.length - 1] ^= 1;
    assert.throws(() => box.open(`v1:${box.keyId}:${raw.toString('base64')}`), /integrity check/);
    assert.throws(() => secretBox(randomBytes(32)).open(a), /sealed with another key/);
  });

  it('reads BERTH_SECRET_KEY as hex or base64, and otherwise creates a key file once, readable by its owner only', () => {
    const key = randomBytes(32);
    assert.deepEqual(parseSecretKey(key.toString('hex')), key);
    assert.deepEqual(parseSecretKey(key.toString('base64')), key);
    assert.throws(() => parseSecretKey('short'), /32 bytes/);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-key-'));
    const first = loadSecretKey(undefined, dir);
    assert.deepEqual(loadSecretKey(undefined, dir), first, 'the same key on every start');
    assert.equal(statSync(path.join(dir, 'secret.key')).mode & 0o777, 0o600);
    assert.equal(readFileSync(path.join(dir, 'secret.key'), 'utf8').trim(), first.toString('base64'));
    assert.deepEqual(loadSecretKey(key.toString('hex'), dir), key, 'the setting wins over the file');
  });

  it('refuses link-local, metadata and unspecified addresses always, loopback and private unless allowed', () => {
    const none = { loopback: false, private: false };
    const all = { loopback: true, private: true };
    for (const a of ['169.254.169.254', '169.254.1.1', 'fe80::1', '::ffff:169.254.169.254', '100.100.100.200', 'fd00:ec2::254', '0.0.0.0', '::']) {
      assert.match(refusalOf(a, all) ?? '', /link-local, metadata or unspecified/, a);
    }
    for (const a of ['127.0.0.1', '127.8.9.10', '::1', '::ffff:127.0.0.1']) {
      assert.match(refusalOf(a, none) ?? '', /loopback/, a);
      assert.equal(refusalOf(a, { loopback: true, private: false }), undefined, a);
    }
    for (const a of ['10.0.0.1', '172.16.5.4', '172.31.255.255', '192.168.1.1', '100.64.0.1', 'fd12:3456::1']) {
      assert.match(refusalOf(a, none) ?? '', /private/, a);
      assert.equal(refusalOf(a, { loopback: false, private: true }), undefined, a);
    }
    for (const a of ['8.8.8.8', '172.32.0.1', '2001:4860:4860::8888']) assert.equal(refusalOf(a, none), undefined, a);
  });

  it('checks what a host name resolves to', async () => {
    await assert.rejects(checkTargetUrl('http://localhost:5000', { loopback: false, private: false }), /localhost resolves to .* loopback/);
    assert.equal((await checkTargetUrl('http://localhost:5000', { loopback: true, private: false })).port, '5000');
  });
});
