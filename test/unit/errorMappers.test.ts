// Each front end renders the same service errors in its own shape: the management API in
// Harbor's codes, /v2 in the OCI codes. A service shared by both must read right on each.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { pino } from 'pino';
import { harborError } from '../../server/api/errors.js';
import { ociErrors } from '../../server/distribution/errors.js';
import { DomainError, domainErrorKinds } from '../../server/lib/errors.js';
import { RegistryError } from '../../server/lib/registryErrors.js';

async function v2Render(err: unknown): Promise<{ status: number; body: { errors: Array<{ code: string; message: string }> } }> {
  const app = new Koa();
  app.use(ociErrors(pino({ level: 'silent' })));
  app.use(() => {
    throw err;
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v2/x`);
    return { status: res.status, body: (await res.json()) as { errors: Array<{ code: string; message: string }> } };
  } finally {
    server.close();
  }
}

describe('error mappers', () => {
  it('renders every domain error kind on the management API with its Harbor code and status', () => {
    const expected = {
      INVALID: '400 BAD_REQUEST',
      UNAUTHENTICATED: '401 UNAUTHORIZED',
      DENIED: '403 FORBIDDEN',
      NOT_FOUND: '404 NOT_FOUND',
      CONFLICT: '409 CONFLICT',
      PRECONDITION_FAILED: '412 PRECONDITION_FAILED',
      UNPROCESSABLE: '422 UNPROCESSABLE_ENTITY',
      TOO_MANY: '429 TOO_MANY_REQUESTS',
      UNSUPPORTED: '405 METHOD_NOT_ALLOWED',
      INTERNAL: '500 INTERNAL_SERVER_ERROR',
    };
    for (const kind of domainErrorKinds) {
      const r = harborError(new DomainError(kind, `why ${kind}`));
      assert.equal(`${r?.status} ${r?.code}`, expected[kind], kind);
      assert.equal(r?.message, `why ${kind}`);
    }
  });

  it('renders a registry refusal on the management API by its status, and leaves faults to the 500 path', () => {
    const r = (err: unknown) => harborError(err) && `${harborError(err)?.status} ${harborError(err)?.code}`;
    assert.equal(r(new RegistryError('MANIFEST_UNKNOWN', 'no such manifest')), '404 NOT_FOUND');
    assert.equal(r(new RegistryError('DENIED', 'quota exceeded')), '403 FORBIDDEN');
    assert.equal(r(new RegistryError('TAG_INVALID')), '400 BAD_REQUEST');
    assert.equal(r(new RegistryError('TOOMANYREQUESTS')), '429 TOO_MANY_REQUESTS');
    // Statuses Harbor has no code for read as a bad request.
    assert.equal(r(new RegistryError('BLOB_UPLOAD_INVALID', 'gap', undefined, { status: 416 })), '400 BAD_REQUEST');
    assert.equal(harborError(new RegistryError('UNKNOWN')), undefined);
    assert.equal(harborError(new Error('boom')), undefined);
    assert.equal(harborError(new RegistryError('DENIED', 'quota exceeded'))?.message, 'quota exceeded');
  });

  it('renders a domain error on /v2 in the OCI shape with the status its kind implies', async () => {
    assert.deepEqual(await v2Render(new DomainError('NOT_FOUND', 'no project p')), {
      status: 404,
      body: { errors: [{ code: 'NAME_UNKNOWN', message: 'no project p', detail: {} }] },
    });
    const denied = await v2Render(new DomainError('DENIED', 'not yours'));
    assert.equal(`${denied.status} ${denied.body.errors[0].code}`, '403 DENIED');
    const throttled = await v2Render(new DomainError('TOO_MANY', 'slow down'));
    assert.equal(`${throttled.status} ${throttled.body.errors[0].code}`, '429 TOOMANYREQUESTS');
    const internal = await v2Render(new DomainError('INTERNAL', 'replication is not configured'));
    assert.equal(`${internal.status} ${internal.body.errors[0].code}`, '500 UNKNOWN');
    const registry = await v2Render(new RegistryError('MANIFEST_UNKNOWN', 'gone'));
    assert.equal(`${registry.status} ${registry.body.errors[0].code}`, '404 MANIFEST_UNKNOWN');
  });
});
