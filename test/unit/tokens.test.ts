import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import jwt from 'jsonwebtoken';
import { generateSigningKey, issueToken, libtrustKeyId, parseScope, tokenAllows, verifyToken, type SigningKey } from '../../server/auth/tokens.js';

const issuer = 'berth-token-issuer';
const service = 'berth';
const access = [{ type: 'repository', name: 'p/r', actions: ['pull', 'push'] }];

describe('registry tokens', () => {
  let key: SigningKey;
  let other: SigningKey;
  before(() => {
    key = generateSigningKey();
    other = generateSigningKey();
  });

  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const claims = (over: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return { iss: issuer, sub: 'alice', aud: service, iat: now, nbf: now - 5, exp: now + 600, jti: 'x', access, ...over };
  };
  const verify = (token: string) => verifyToken(token, [key], { issuer, service });

  it('round-trips: issued tokens verify and grant exactly their access', () => {
    const t = issueToken(key, { issuer, service, subject: 'alice', access, ttlSeconds: 1800 });
    assert.equal(t.token, t.access_token);
    assert.equal(t.expires_in, 1800);
    const c = verify(t.token);
    assert.equal(c.sub, 'alice');
    assert.ok(tokenAllows(c, 'repository', 'p/r', 'push'));
    assert.ok(!tokenAllows(c, 'repository', 'p/r', 'delete'));
    assert.ok(!tokenAllows(c, 'repository', 'p/other', 'pull'), 'a token for another repository grants nothing here');
    assert.ok(!tokenAllows(c, 'registry', 'catalog', 'pull'));
  });

  it('names keys the way libtrust does: 12 groups of 4 base32 characters', () => {
    assert.match(key.kid, /^([A-Z2-7]{4}:){11}[A-Z2-7]{4}$/);
    assert.equal(libtrustKeyId(key.publicKeyPem), key.kid);
    assert.notEqual(other.kid, key.kid);
  });

  const forged: Array<[string, () => string]> = [
    ['alg none', () => `${b64({ alg: 'none', typ: 'JWT', kid: key.kid })}.${b64(claims())}.`],
    [
      'HS256 keyed with our public key (algorithm confusion)',
      () => jwt.sign(claims(), key.publicKeyPem, { algorithm: 'HS256', keyid: key.kid, noTimestamp: true }),
    ],
    ['a foreign key under our kid', () => jwt.sign(claims(), other.privateKeyPem, { algorithm: 'RS256', keyid: key.kid, noTimestamp: true })],
    ['a foreign key under its own kid', () => jwt.sign(claims(), other.privateKeyPem, { algorithm: 'RS256', keyid: other.kid, noTimestamp: true })],
    [
      'an embedded jwk',
      () => {
        const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        return jwt.sign(claims(), privateKey, {
          algorithm: 'RS256',
          keyid: key.kid,
          noTimestamp: true,
          header: { alg: 'RS256', jwk: publicKey.export({ format: 'jwk' }) } as jwt.JwtHeader,
        });
      },
    ],
    [
      'an expired token',
      () => jwt.sign(claims({ exp: Math.floor(Date.now() / 1000) - 3600 }), key.privateKeyPem, { algorithm: 'RS256', keyid: key.kid, noTimestamp: true }),
    ],
    [
      'a token not valid yet',
      () => jwt.sign(claims({ nbf: Math.floor(Date.now() / 1000) + 3600 }), key.privateKeyPem, { algorithm: 'RS256', keyid: key.kid, noTimestamp: true }),
    ],
    ['another issuer', () => jwt.sign(claims({ iss: 'evil' }), key.privateKeyPem, { algorithm: 'RS256', keyid: key.kid, noTimestamp: true })],
    ['another audience', () => jwt.sign(claims({ aud: 'other-registry' }), key.privateKeyPem, { algorithm: 'RS256', keyid: key.kid, noTimestamp: true })],
    [
      'no expiry',
      () => {
        const { exp: _exp, ...noExp } = claims();
        return jwt.sign(noExp, key.privateKeyPem, { algorithm: 'RS256', keyid: key.kid, noTimestamp: true });
      },
    ],
    [
      'a tampered payload',
      () => {
        const [h, , s] = issueToken(key, { issuer, service, subject: 'alice', access, ttlSeconds: 60 }).token.split('.');
        return `${h}.${b64(claims({ access: [{ type: 'repository', name: 'p/r', actions: ['*'] }] }))}.${s}`;
      },
    ],
    ['garbage', () => 'not.a.token'],
  ];
  for (const [what, make] of forged) {
    it(`refuses ${what}`, () => assert.throws(() => verify(make()), { name: 'TokenError' }));
  }

  it('parses scopes, including names with a registry port and resource classes', () => {
    assert.deepEqual(parseScope('repository:p/r:pull,push'), { type: 'repository', name: 'p/r', actions: ['pull', 'push'] });
    assert.deepEqual(parseScope('repository:127.0.0.1:5000/p/r:pull'), { type: 'repository', name: '127.0.0.1:5000/p/r', actions: ['pull'] });
    assert.deepEqual(parseScope('registry:catalog:*'), { type: 'registry', name: 'catalog', actions: ['*'] });
    assert.deepEqual(parseScope('repository(plugin):p/r:pull,pull'), { type: 'repository', name: 'p/r', actions: ['pull'] });
    for (const bad of ['repository:p/r', 'repository', '', ':p/r:pull', 'repository:p/r:PULL']) assert.equal(parseScope(bad), undefined, bad);
  });
});
