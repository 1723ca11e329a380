/** How failed webhook deliveries are retried: exponential backoff with jitter, within a window, then dead-lettered. */
export interface RetryPolicy {
  /** The delay after the first failed attempt, before jitter; each further failure doubles it. */
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
 * The delay after failed attempt number `attempt` (1 for the first): base × 2^(attempt−1), capped, with "equal
 * jitter" (a random point in its upper half), so receivers coming back are not hit by every sender at once.
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number): number {
  const exponential = policy.baseDelayMs * 2 ** Math.min(Math.max(attempt - 1, 0), 40);
  const delay = Math.min(exponential, policy.maxDelayMs);
  return Math.round(delay / 2 + (random() * delay) / 2);
}

/**
 * After failed attempt number `attempt`, made `sinceFirstMs` after the first one: retry, never later than the
 * end of the window (so the last try falls at its end), or dead-letter once the window is over.
 */
export function afterFailure(policy: RetryPolicy, attempt: number, sinceFirstMs: number, random: () => number): RetryDecision {
  const left = policy.windowMs - sinceFirstMs;
  if (left <= 0) return { deadLetter: true };
  return { retryInMs: Math.min(backoffDelay(policy, attempt, random), left) };
}
