import { backoffDelay } from './backoff.ts';

/** How failed webhook deliveries are retried: exponential backoff with jitter, within a window, then dead-lettered. */
export interface RetryPolicy {
  /** The longest delay after the first failed attempt; each further failure doubles it. */
  baseDelayMs: number;
  /** No delay grows beyond this. */
  maxDelayMs: number;
  /** Attempts go on until the first attempt is this old; then the delivery is dead-lettered. */
  windowMs: number;
}

export const MAX_RETRY_DELAY_MS = 3_600_000;

/** What to do after a failed attempt: try again in so many milliseconds, or give up. */
export type RetryDecision = { retryInMs: number } | { deadLetter: true };

/**
 * After failed attempt number `attempt` (1 for the first), made `sinceFirstMs` after the first one: retry after
 * the backoff delay, never later than the end of the window (so the last try falls at its end), or dead-letter
 * once the window is over.
 */
export function afterFailure(policy: RetryPolicy, attempt: number, sinceFirstMs: number, random: () => number): RetryDecision {
  const left = policy.windowMs - sinceFirstMs;
  if (left <= 0) return { deadLetter: true };
  return { retryInMs: Math.min(backoffDelay(attempt, policy.baseDelayMs, policy.maxDelayMs, random), left) };
}
