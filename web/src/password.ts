// Harbor's password rule, as the server checks it (server/projects/passwords.ts), so forms
// can refuse a weak password before sending it.
export const passwordRule = '8 to 128 characters, with an upper-case letter, a lower-case letter and a digit.';

export function strongPassword(p: string): boolean {
  return p.length >= 8 && p.length <= 128 && /[a-z]/.test(p) && /[A-Z]/.test(p) && /\d/.test(p);
}
