// The /v2 error mapper: handlers and services throw, this renders the OCI error body.
// Nothing else in /v2 writes an error response.
import type Koa from 'koa';
import type { Logger } from 'pino';
import { DomainError, type DomainErrorKind } from '../lib/errors.js';
import { RegistryError, type ErrorCode } from '../lib/registryErrors.js';

// A domain error from a service /v2 shares with the management API, in OCI terms: the
// nearest code, with the status the kind implies (the OCI table has no generic 400, 409
// or 412 code; the message says what is wrong).
const ociOfKind: Record<DomainErrorKind, { code: ErrorCode; status: number }> = {
  INVALID: { code: 'UNSUPPORTED', status: 400 },
  UNAUTHENTICATED: { code: 'UNAUTHORIZED', status: 401 },
  DENIED: { code: 'DENIED', status: 403 },
  NOT_FOUND: { code: 'NAME_UNKNOWN', status: 404 },
  CONFLICT: { code: 'DENIED', status: 409 },
  PRECONDITION_FAILED: { code: 'DENIED', status: 412 },
  UNPROCESSABLE: { code: 'UNSUPPORTED', status: 422 },
  TOO_MANY: { code: 'TOOMANYREQUESTS', status: 429 },
  UNSUPPORTED: { code: 'UNSUPPORTED', status: 405 },
  INTERNAL: { code: 'UNKNOWN', status: 500 },
};

export function ociErrors(log: Logger): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const e = toRegistryError(err, log, ctx);
      ctx.status = e.status;
      for (const [k, v] of Object.entries(e.headers)) ctx.set(k, v);
      ctx.set('Content-Type', 'application/json');
      // detail is optional in the spec; always sending it gives clients one shape to parse.
      ctx.body = JSON.stringify({ errors: [{ code: e.code, message: e.message, detail: e.detail ?? {} }] });
      ctx.state.errorCode = e.code;
    }
  };
}

function toRegistryError(err: unknown, log: Logger, ctx: Koa.Context): RegistryError {
  if (err instanceof RegistryError) {
    if (err.status >= 500) log.error({ err, reqId: ctx.state.requestId }, 'request failed');
    return err;
  }
  if (err instanceof DomainError) {
    const { code, status } = ociOfKind[err.kind];
    if (status >= 500) log.error({ err, reqId: ctx.state.requestId }, 'request failed');
    return new RegistryError(code, err.message, undefined, { status });
  }
  const code = (err as NodeJS.ErrnoException)?.code;
  // A client that hangs up mid-body is not a server fault.
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNABORTED') {
    return new RegistryError('BLOB_UPLOAD_INVALID', 'request body ended early', undefined, { status: 400 });
  }
  log.error({ err, reqId: ctx.state.requestId, method: ctx.method, path: ctx.path }, 'unexpected error');
  return new RegistryError('UNKNOWN', `internal server error; see the server log for request id ${String(ctx.state.requestId)}`);
}
