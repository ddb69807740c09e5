// Why a service refused, in words no protocol owns. Services throw DomainError with one of
// these kinds; each front end has one mapper that renders it in its own shape (the
// management API's in api/errors.ts, Harbor's codes; /v2's in distribution/errors.ts, the
// OCI codes), so a service can be called from either.
export const domainErrorKinds = [
  'INVALID', // the input is malformed or breaks a rule
  'UNAUTHENTICATED', // no credentials, or not the kind the action needs
  'DENIED', // authenticated, but not allowed
  'NOT_FOUND',
  'CONFLICT', // the name or state is already taken
  'PRECONDITION_FAILED', // the resource is not in the state the action needs
  'UNPROCESSABLE', // well-formed but cannot be acted on
  'TOO_MANY', // throttled
  'UNSUPPORTED', // the resource does not offer this action
  'INTERNAL',
] as const;

export type DomainErrorKind = (typeof domainErrorKinds)[number];

export class DomainError extends Error {
  override name = 'DomainError';
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
  ) {
    super(message);
  }
}
