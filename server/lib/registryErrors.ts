// The OCI error codes, one table. Services throw RegistryError with a code from here; the
// HTTP layer's one error mapper renders {"errors":[…]} with the table's status. Codes
// follow the distribution-spec (and Distribution's additions clients already know).
export const errorCodes = {
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: { status: 400, message: 'manifest references a blob unknown to the repository' },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown to registry' },
  NAME_INVALID: { status: 400, message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length' },
  TAG_INVALID: { status: 400, message: 'invalid tag' },
  PAGINATION_NUMBER_INVALID: { status: 400, message: 'invalid number of results requested' },
  UNAUTHORIZED: { status: 401, message: 'authentication required' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 405, message: 'the operation is unsupported' },
  TOOMANYREQUESTS: { status: 429, message: 'too many requests' },
  UNAVAILABLE: { status: 503, message: 'service unavailable' },
  UNKNOWN: { status: 500, message: 'unknown error' },
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class RegistryError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly detail?: unknown,
    // Some spec situations reuse a code with another status (416 for a range gap, 413 for
    // an oversized manifest, 400 for an index's missing child).
    opts: { status?: number; headers?: Record<string, string> } = {},
  ) {
    super(message ?? errorCodes[code].message);
    this.status = opts.status ?? errorCodes[code].status;
    this.headers = opts.headers ?? {};
  }
  readonly headers: Record<string, string>;
}

export function nameUnknown(repository: string): RegistryError {
  return new RegistryError('NAME_UNKNOWN', `repository ${repository} not known to registry`, { name: repository });
}
