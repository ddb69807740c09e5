// The /v2 error mapper: handlers and services throw, this renders the OCI error body.
// Nothing else in /v2 writes an error response.
import type Koa from 'koa';
import type { Logger } from 'pino';
import { RegistryError } from '../registry/errors.js';

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
  const code = (err as NodeJS.ErrnoException)?.code;
  // A client that hangs up mid-body is not a server fault.
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNABORTED') {
    return new RegistryError('BLOB_UPLOAD_INVALID', 'request body ended early', undefined, { status: 400 });
  }
  log.error({ err, reqId: ctx.state.requestId, method: ctx.method, path: ctx.path }, 'unexpected error');
  return new RegistryError('UNKNOWN', 'internal server error; see the server log for request id ' + String(ctx.state.requestId));
}
