// Comparing a presented secret with the expected one in time that does not depend on where
// they differ (a CSRF token, a CLI secret), so timing tells an attacker nothing.
import { timingSafeEqual } from 'node:crypto';

export function sameSecret(expected: string, presented: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(presented);
  return a.length === b.length && timingSafeEqual(a, b);
}
