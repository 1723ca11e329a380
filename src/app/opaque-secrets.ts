import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Secrets the hub makes itself (refresh tokens, client secrets): 256 random bits after a prefix that says what
 * they are (so secret scanners and people recognise a leaked one). Stored as their SHA-256 only: with nothing to
 * guess, a fast hash is as strong as a slow one, and costs no bcrypt slot.
 */
export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** The SHA-256 of a secret, hex: what the database keeps. */
export function secretHash(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Whether `secret` hashes to `hash`, compared in constant time. */
export function matchesHash(secret: string, hash: string): boolean {
  const given = Buffer.from(secretHash(secret), 'hex');
  const stored = Buffer.from(hash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
