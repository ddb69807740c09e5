// Pulls gated on cosign signatures verified with the project's keys: the keys API (ECDSA
// P-256, Ed25519, RSA), and with require_signature on, a pull by tag or digest served only
// when a signature of that digest (tag convention or OCI 1.1 referrer) verifies with a
// trusted key; unsigned, another key's, or a signature naming another digest are refused;
// the signatures stay pullable; key and signature changes count at once.
import assert from 'node:assert/strict';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { admin, addMember, basic, createProject, createUser } from '../helpers/api.js';
import { pushCosignSignature } from '../helpers/cosign.js';
import { startTestRegistry, type TestRegistry } from '../helpers/inProcess.js';
import { asBody, pushImage, sha256, v2fetch } from '../helpers/v2client.js';

const json = { Authorization: basic(admin), 'Content-Type': 'application/json' };

function keyPair(kind: 'ec' | 'ed25519' | 'rsa', bits = 2048): { publicPem: string; privateKey: KeyObject } {
  const { publicKey, privateKey } =
    kind === 'ec'
      ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
      : kind === 'rsa'
        ? generateKeyPairSync('rsa', { modulusLength: bits })
        : generateKeyPairSync('ed25519');
  return { publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey };
}

describe('signature policy', function () {
  this.timeout(60_000);
  let r: TestRegistry;
  const trusted = keyPair('ec');
  const ed = keyPair('ed25519');
  const rsa = keyPair('rsa');
  const stranger = keyPair('ec');

  const api = (method: string, path: string, body?: unknown, headers: Record<string, string> = json) =>
    fetch(`${r.url}/api/v2.0${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const pull = (repo: string, ref: string, accept = 'application/vnd.oci.image.manifest.v1+json') =>
    fetch(`${r.url}/v2/${repo}/manifests/${ref}`, { headers: { Authorization: basic(admin), Accept: accept } });
  const refused = async (res: Response, pattern: RegExp) => {
    assert.equal(res.status, 403);
    const e = ((await res.json()) as { errors: Array<{ code: string; message: string }> }).errors[0];
    assert.equal(e.code, 'DENIED');
    assert.match(e.message, pattern);
  };

  before(async () => {
    r = await startTestRegistry();
    await createProject(r.url, 'signed');
  });
  after(async () => r?.close());

  it('keeps a project’s trusted keys: ECDSA P-256, Ed25519 and RSA; other keys and bad input are refused', async () => {
    for (const [name, k] of [
      ['ci', trusted],
      ['release-ed25519', ed],
      ['legacy-rsa', rsa],
    ] as const) {
      const res = await api('POST', '/projects/signed/signing-keys', { name, public_key: k.publicPem });
      assert.equal(res.status, 201, await res.text());
      assert.match(res.headers.get('location')!, /\/signing-keys\/\d+$/);
    }
    const keys = (await (await api('GET', '/projects/signed/signing-keys')).json()) as Array<{ name: string; algorithm: string; fingerprint: string }>;
    assert.deepEqual(
      keys.map((k) => [k.name, k.algorithm]),
      [
        ['ci', 'ecdsa-p256'],
        ['release-ed25519', 'ed25519'],
        ['legacy-rsa', 'rsa'],
      ],
    );
    assert.match(keys[0].fingerprint, /^sha256:[0-9a-f]{64}$/);
    assert.equal((await api('POST', '/projects/signed/signing-keys', { name: 'again', public_key: trusted.publicPem })).status, 409);
    assert.equal((await api('POST', '/projects/signed/signing-keys', { name: 'junk', public_key: 'hello' })).status, 400);
    assert.equal((await api('POST', '/projects/signed/signing-keys', { name: 'weak', public_key: keyPair('rsa', 1024).publicPem })).status, 400);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ type: 'spki', format: 'pem' }).toString();
    assert.equal((await api('POST', '/projects/signed/signing-keys', { name: 'p384', public_key: p384 })).status, 400);
    await createUser(r.url, 'dev2', 'Dev-Pass-12345');
    await addMember(r.url, 'signed', 'dev2', 2);
    const asDev = { Authorization: basic({ username: 'dev2', password: 'Dev-Pass-12345' }), 'Content-Type': 'application/json' };
    assert.equal((await api('GET', '/projects/signed/signing-keys', undefined, asDev)).status, 200);
    assert.equal((await api('POST', '/projects/signed/signing-keys', { name: 'mine', public_key: stranger.publicPem }, asDev)).status, 403);
  });

  it('serves an image only with a signature that verifies with a trusted key, by tag and by digest', async () => {
    const unsigned = await pushImage(r.url, 'signed/app', 'unsigned');
    const byTag = await pushImage(r.url, 'signed/app', 'v1');
    const byReferrer = await pushImage(r.url, 'signed/app', 'v2');
    const byRsa = await pushImage(r.url, 'signed/app', 'v3');
    const foreign = await pushImage(r.url, 'signed/app', 'foreign');
    const forged = await pushImage(r.url, 'signed/app', 'forged');
    const sigTag = await pushCosignSignature(r.url, 'signed/app', byTag.digest, trusted.privateKey);
    await pushCosignSignature(r.url, 'signed/app', byReferrer.digest, ed.privateKey, { mode: 'referrer' });
    await pushCosignSignature(r.url, 'signed/app', byRsa.digest, rsa.privateKey);
    await pushCosignSignature(r.url, 'signed/app', foreign.digest, stranger.privateKey);
    // A valid signature, but of another image, placed where this one's would be.
    await pushCosignSignature(r.url, 'signed/app', forged.digest, trusted.privateKey, { payloadDigest: byTag.digest });

    // Off: everything is served.
    assert.equal((await pull('signed/app', 'unsigned')).status, 200);
    assert.equal((await api('PUT', '/projects/signed', { metadata: { require_signature: 'true' } })).status, 200);
    assert.equal(((await (await api('GET', '/projects/signed')).json()) as { metadata: Record<string, string> }).metadata.require_signature, 'true');

    await refused(await pull('signed/app', 'unsigned'), /has no cosign signature and project signed requires signed images/);
    await refused(await pull('signed/app', unsigned.digest), /has no cosign signature/);
    for (const ref of ['v1', byTag.digest, 'v2', byReferrer.digest, 'v3']) assert.equal((await pull('signed/app', ref)).status, 200, ref);
    await refused(await pull('signed/app', 'foreign'), /verifies with none of the project's 3 trusted key/);
    await refused(await pull('signed/app', 'forged'), new RegExp(`the signature is for ${byTag.digest}, not ${forged.digest}`));
    // The signature itself stays pullable; HEAD is not a pull.
    assert.equal((await pull('signed/app', `${byTag.digest.replace(':', '-')}.sig`)).status, 200);
    assert.equal((await pull('signed/app', sigTag)).status, 200);
    assert.equal((await fetch(`${r.url}/v2/signed/app/manifests/unsigned`, { method: 'HEAD', headers: { Authorization: basic(admin) } })).status, 200);

    // Removing the key that signed v1 refuses it from the next pull; the Ed25519 one still serves v2.
    const keys = (await (await api('GET', '/projects/signed/signing-keys')).json()) as Array<{ id: number; name: string }>;
    const ci = keys.find((k) => k.name === 'ci')!;
    assert.equal((await api('DELETE', `/projects/signed/signing-keys/${ci.id}`)).status, 200);
    await refused(await pull('signed/app', 'v1'), /verifies with none of the project's 2 trusted key/);
    assert.equal((await pull('signed/app', 'v2')).status, 200);
    assert.equal((await api('POST', '/projects/signed/signing-keys', { name: 'ci', public_key: trusted.publicPem })).status, 201);
    assert.equal((await pull('signed/app', 'v1')).status, 200);
    // Deleting the signature refuses the image at once.
    assert.equal((await v2fetch(`${r.url}/v2/signed/app/manifests/${sigTag}`, { method: 'DELETE' })).status, 202);
    await refused(await pull('signed/app', 'v1'), /has no cosign signature/);

    await r.flushAudit();
    const { rows } = await r.db.query<{ resource: string }>(
      "SELECT resource FROM audit_log WHERE operation = 'pull' AND NOT is_successful AND error_code = 'DENIED' AND project_name = 'signed'",
    );
    assert.ok(rows.some((a) => /signed\/app:forged@sha256:\S+: .*the signature is for/.test(a.resource)));
  });

  it('serves the images of a signed index by digest, as clients fetch them', async () => {
    const child = await pushImage(r.url, 'signed/multi', 'child-only');
    const index = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: child.digest, size: child.body.length }],
      }),
    );
    const put = await v2fetch(`${r.url}/v2/signed/multi/manifests/v1`, {
      method: 'PUT',
      body: asBody(index),
      headers: { 'Content-Type': 'application/vnd.oci.image.index.v1+json' },
    });
    assert.equal(put.status, 201);
    const indexAccept = 'application/vnd.oci.image.index.v1+json';
    await refused(await pull('signed/multi', 'v1', indexAccept), /has no cosign signature/);
    await refused(await pull('signed/multi', child.digest), /has no cosign signature/);
    await pushCosignSignature(r.url, 'signed/multi', sha256(index), ed.privateKey);
    assert.equal((await pull('signed/multi', 'v1', indexAccept)).status, 200);
    assert.equal((await pull('signed/multi', child.digest)).status, 200);
  });
});
