// Assertions that print the exact request and response when they fail, so a red test says
// what Berth answered without a debugger. The status helpers mirror gomega's
// Equal / SatisfyAny / BeNumerically as the official suite combines them.
import assert from 'node:assert/strict';
import type { RegistryResponse } from './client.js';

/** A status, or a half-open range [lo, hi) like gomega's BeNumerically(">=", lo) ∧ BeNumerically("<", hi). */
export type StatusMatcher = number | readonly [number, number];

function matches(status: number, m: StatusMatcher): boolean {
  return typeof m === 'number' ? status === m : status >= m[0] && status < m[1];
}

function show(m: StatusMatcher): string {
  return typeof m === 'number' ? String(m) : `[${m[0]},${m[1]})`;
}

export const success: StatusMatcher = [200, 300];

export function expectStatus(res: RegistryResponse, ...allowed: StatusMatcher[]): void {
  assert.ok(
    allowed.some((m) => matches(res.status, m)),
    `expected status ${allowed.map(show).join(' or ')}, got: ${res.describe()}`,
  );
}

export function expect2xx(res: RegistryResponse): void {
  expectStatus(res, success);
}

export function expectHeader(res: RegistryResponse, name: string, expected: string): void {
  assert.equal(res.header(name), expected, `header ${name}: ${res.describe()}`);
}

export function expectHeaderPresent(res: RegistryResponse, name: string): string {
  const v = res.header(name);
  assert.ok(v !== null && v !== '', `expected a non-empty ${name} header: ${res.describe()}`);
  return v;
}

/** The media type of a Content-Type value, without parameters. */
export function mediaTypeOf(contentType: string | null): string | undefined {
  return contentType?.split(';')[0]?.trim().toLowerCase();
}

/**
 * Berth's error contract: the status, Content-Type application/json, and a body
 * {"errors":[{"code","message",…}]} whose first code is `code`. The presence of "detail" is
 * checked once, across many errors, by 05-berth-errors' envelope test, so that one missing
 * field shows up as one failure instead of masking what every other test is about.
 */
export function expectOciError(res: RegistryResponse, status: number, code: string): void {
  assert.equal(res.status, status, `expected ${status} ${code}, got: ${res.describe()}`);
  if (res.method === 'HEAD') return; // a HEAD response has no body to carry the error
  assert.equal(mediaTypeOf(res.header('content-type')), 'application/json', `error Content-Type: ${res.describe()}`);
  let parsed: unknown;
  try {
    parsed = res.json();
  } catch {
    assert.fail(`error body is not JSON: ${res.describe()}`);
  }
  const errors = (parsed as { errors?: unknown }).errors;
  assert.ok(Array.isArray(errors) && errors.length > 0, `error body has no errors array: ${res.describe()}`);
  const first = errors[0] as Record<string, unknown>;
  assert.equal(first.code, code, `error code: ${res.describe()}`);
  assert.equal(typeof first.message, 'string', `error message must be a string: ${res.describe()}`);
}

/** Never a server error, whatever the input. */
export function expectNot5xx(res: RegistryResponse): void {
  assert.ok(res.status < 500, `server error: ${res.describe()}`);
}
