/**
 * Exponential backoff with full jitter: the n-th retry (1-based) waits a random time in [0, min(cap, base·2^(n−1))],
 * so retries of many clients spread out instead of arriving together.
 */
export function backoffDelay(retry: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, retry - 1));
  return Math.round(random() * ceiling);
}
