/**
 * What makes a signing secret unfit for production. The secret signs every access token and the hub's presigned
 * chunk URLs, so whoever knows or guesses it can act as any user.
 */

/** HS256 keys shorter than the hash output are guessable offline from a single token. */
export const MIN_SECRET_BYTES = 32;

/**
 * Values copied from examples, compared without case. Kept here alone: config refuses them in production and
 * the compose test checks that none ships as a default.
 */
export const PLACEHOLDER_SECRETS: readonly string[] = ['change-me-to-a-long-random-string', 'change-me', 'changeme', 'secret'];

/** Why `secret` is weak, in words that never repeat the secret; undefined when it is fit. */
export function secretWeakness(secret: string): string | undefined {
  if (PLACEHOLDER_SECRETS.includes(secret.toLowerCase())) return 'is a known placeholder value';
  const bytes = Buffer.byteLength(secret, 'utf8');
  if (bytes < MIN_SECRET_BYTES) return `is ${bytes} byte${bytes === 1 ? '' : 's'} long, under the ${MIN_SECRET_BYTES} required`;
  return undefined;
}
