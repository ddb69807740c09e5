// How an error reads on the management API: Harbor's body {"errors":[{"code","message"}]}
// with a fixed code for each status (goharbor/harbor src/lib/http/error.go). Services throw
// DomainError (lib/errors.ts) or, from the registry core, RegistryError; harborError is the
// one place either becomes a Harbor code, so /api can call the same services /v2 calls.
import type Koa from 'koa';
import { DomainError, type DomainErrorKind } from '../lib/errors.js';
import type { Logger } from '../log/logger.js';
import { RegistryError } from '../lib/registryErrors.js';

export const harborCodes = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  UNPROCESSABLE_ENTITY: 422,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_SERVER_ERROR: 500,
} as const;

export type HarborCode = keyof typeof harborCodes;

const codeOfKind: Record<DomainErrorKind, HarborCode> = {
  INVALID: 'BAD_REQUEST',
  UNAUTHENTICATED: 'UNAUTHORIZED',
  DENIED: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  PRECONDITION_FAILED: 'PRECONDITION_FAILED',
  UNPROCESSABLE: 'UNPROCESSABLE_ENTITY',
  TOO_MANY: 'TOO_MANY_REQUESTS',
  UNSUPPORTED: 'METHOD_NOT_ALLOWED',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
};

const codeOfStatus = new Map<number, HarborCode>(Object.entries(harborCodes).map(([code, status]) => [status, code as HarborCode]));

export interface HarborError {
  status: number;
  code: HarborCode;
  message: string;
}

/**
 * The Harbor rendering of a domain or registry error, or undefined for anything else (an
 * unexpected fault, which the mapper logs and answers with a 500 naming the request id). A
 * registry error keeps its status; one Harbor has no code for (416, 413) reads as BAD_REQUEST.
 */
export function harborError(err: unknown): HarborError | undefined {
  if (err instanceof DomainError) {
    const code = codeOfKind[err.kind];
    return { status: harborCodes[code], code, message: err.message };
  }
  if (err instanceof RegistryError && err.status < 500) {
    const code = codeOfStatus.get(err.status) ?? 'BAD_REQUEST';
    return { status: harborCodes[code], code, message: err.message };
  }
  return undefined;
}

export function apiErrorBody(code: string, message: string): { errors: Array<{ code: string; message: string }> } {
  return { errors: [{ code, message }] };
}

/** The /api/v2.0 error mapper: Harbor's body for a domain or registry error, a logged 500 naming the request id otherwise. */
export function harborErrors(log: Logger): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const refusal = harborError(err);
      if (refusal) {
        ctx.status = refusal.status;
        ctx.body = apiErrorBody(refusal.code, refusal.message);
        ctx.state.errorCode = refusal.code;
        return;
      }
      log.error({ err, reqId: ctx.state.requestId }, 'api error');
      ctx.status = 500;
      ctx.body = apiErrorBody('INTERNAL_SERVER_ERROR', `internal server error; see the server log for request id ${String(ctx.state.requestId)}`);
    }
  };
}
