// An OpenID provider that lies, for the tests of what Berth must refuse: a real HTTP server
// on 127.0.0.1 with a discovery document, a JWKS and a token endpoint, whose ID tokens are
// wrong in the one way a test asks for (signed with a key it does not publish, for another
// audience or issuer, with another nonce, expired). Its authorize endpoint sends the
// browser straight back with a code that carries the nonce Berth asked for.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';
import { selfSignedCertificate } from './tls.js';

export type Lie = 'none' | 'unpublished-key' | 'audience' | 'issuer' | 'nonce' | 'expired' | 'unsigned';

export interface HostileProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  lie: Lie;
  stop(): Promise<void>;
}

function rsa(): { privateKey: KeyObject; publicJwk: Record<string, unknown> } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { privateKey, publicJwk: { ...publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' } };
}

function selfSigned(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'berth-idp-tls-'));
  try {
    const { keyFile, certFile } = selfSignedCertificate(dir);
    return { key: readFileSync(keyFile), cert: readFileSync(certFile) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `tls`: serve https with a self-signed certificate (for oidc_verify_cert); `subject`: who its tokens name. */
export async function startHostileProvider(opts: { tls?: boolean; subject?: string } = {}): Promise<HostileProvider> {
  const subject = opts.subject ?? 'mallory';
  const published = rsa();
  const other = rsa();
  const server = opts.tls ? https.createServer(selfSigned()) : http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const p: HostileProvider = { issuer, clientId: 'berth', clientSecret: 'hostile-secret', lie: 'none', stop: async () => {} };

  server.on('request', (req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/.well-known/openid-configuration') {
      return json(200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        subject_types_supported: ['public'],
        id_token_signing_alg_values_supported: ['RS256'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: ['client_secret_basic'],
      });
    }
    if (url.pathname === '/jwks') return json(200, { keys: [published.publicJwk] });
    if (url.pathname === '/authorize') {
      const back = new URL(url.searchParams.get('redirect_uri')!);
      back.searchParams.set('code', Buffer.from(url.searchParams.get('nonce') ?? '').toString('base64url'));
      back.searchParams.set('state', url.searchParams.get('state') ?? '');
      res.writeHead(302, { Location: back.href });
      return res.end();
    }
    if (url.pathname === '/token' && req.method === 'POST') {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const code = new URLSearchParams(body).get('code') ?? '';
        const now = Math.floor(Date.now() / 1000);
        const claims = {
          iss: p.lie === 'issuer' ? 'http://127.0.0.1:1' : issuer,
          sub: subject,
          aud: p.lie === 'audience' ? 'someone-else' : p.clientId,
          nonce: p.lie === 'nonce' ? 'not-the-nonce' : Buffer.from(code, 'base64url').toString(),
          iat: now - (p.lie === 'expired' ? 7200 : 0),
          exp: now + (p.lie === 'expired' ? -3600 : 3600),
          preferred_username: subject,
        };
        const idToken =
          p.lie === 'unsigned'
            ? jwt.sign(claims, '', { algorithm: 'none' })
            : jwt.sign(claims, p.lie === 'unpublished-key' ? other.privateKey : published.privateKey, { algorithm: 'RS256', keyid: 'k1' });
        json(200, { access_token: 'at', token_type: 'Bearer', expires_in: 3600, id_token: idToken });
      });
      return;
    }
    json(404, { error: 'not_found' });
  });
  p.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return p;
}
