import { createHmac, timingSafeEqual } from 'node:crypto';

/** Digits of a verification code: what a person types from a text message. */
export const CODE_DIGITS = 6;

/** How codes behave: how long one holds, how many guesses a claim allows, how often a user may have one sent. */
export interface ClaimPolicy {
  codeTtlSeconds: number;
  maxAttempts: number;
  /** Between two codes sent for one user's claims on one channel, whatever the address. */
  resendSeconds: number;
}

/**
 * A user's claim of an address on a channel: pending until the code the hub sent there comes back. One per user
 * and channel; a claim that is over (verified, out of attempts, withdrawn) stays with no attempts left, so the time
 * its code went out still holds back the next one.
 */
export interface IdentityClaim {
  userId: string;
  channel: string;
  address: string;
  /** HMAC of the code with the hub's key: the database never holds a code anyone could type in. */
  codeHash: string;
  attemptsLeft: number;
  sentAt: Date;
  expiresAt: Date;
}

/** What becomes of a claim when a code is given for it. */
export type CodeCheck =
  | { kind: 'match' }
  | { kind: 'wrong'; attemptsLeft: number }
  | { kind: 'expired' }
  /** No attempts left: it failed too often, was verified, or was withdrawn. */
  | { kind: 'over' };

/**
 * The code's HMAC, bound to the claim's user, channel and address: six digits have too few values for a plain hash
 * to hide them, and a code sent for one claim is worth nothing for another.
 */
export function codeHash(key: string, claim: Pick<IdentityClaim, 'userId' | 'channel' | 'address'>, code: string): string {
  return createHmac('sha256', key).update(`${claim.userId}\u0000${claim.channel}\u0000${claim.address}\u0000${code}`).digest('hex');
}

/** Seconds until the user may have another code sent on the claim's channel; 0 when they may now. */
export function resendWaitSeconds(policy: ClaimPolicy, previous: IdentityClaim | undefined, now: Date): number {
  if (!previous) return 0;
  return Math.max(0, Math.ceil((previous.sentAt.getTime() + policy.resendSeconds * 1000 - now.getTime()) / 1000));
}

/** A new claim whose code (given by its hash) goes out now, replacing the user's earlier claim on that channel. */
export function openClaim(
  policy: ClaimPolicy,
  claim: Pick<IdentityClaim, 'userId' | 'channel' | 'address' | 'codeHash'>,
  now: Date,
): IdentityClaim {
  return { ...claim, attemptsLeft: policy.maxAttempts, sentAt: now, expiresAt: new Date(now.getTime() + policy.codeTtlSeconds * 1000) };
}

/** Whether a code may still verify the claim. */
export function isPending(claim: IdentityClaim, now: Date): boolean {
  return claim.attemptsLeft > 0 && now < claim.expiresAt;
}

/**
 * Checks a code (given by its hash, codeHash) against a claim. A claim that is over or expired takes no more
 * guesses; a wrong code costs one attempt, and the last one ends the claim.
 */
export function checkCode(claim: IdentityClaim, givenHash: string, now: Date): CodeCheck {
  if (claim.attemptsLeft <= 0) return { kind: 'over' };
  if (now >= claim.expiresAt) return { kind: 'expired' };
  const expected = Buffer.from(claim.codeHash, 'hex');
  const given = Buffer.from(givenHash, 'hex');
  if (given.length === expected.length && timingSafeEqual(given, expected)) return { kind: 'match' };
  return { kind: 'wrong', attemptsLeft: claim.attemptsLeft - 1 };
}
