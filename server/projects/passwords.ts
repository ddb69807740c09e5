// Local account secrets: how passwords are hashed (bcrypt) and Harbor's rule for a
// password; the login check that compares against these hashes is in auth/identity.ts.
import bcrypt from 'bcrypt';
import { DomainError } from '../lib/errors.js';

export const bcryptCost = 10;

/** Robot account names start with this (Harbor's default prefix). */
export const robotPrefix = 'robot$';

export async function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, bcryptCost);
}

/** Harbor's rule: 8 to 128 characters with at least one upper-case letter, one lower-case letter and one digit. */
export function checkPasswordPolicy(password: string): void {
  if (password.length < 8 || password.length > 128 || !/[A-Z]/.test(password) || !/[a-z]/.test(password) || !/[0-9]/.test(password)) {
    throw new DomainError('INVALID', 'the password must be 8 to 128 characters long with at least one upper-case letter, one lower-case letter and one digit');
  }
}
