import { DomainError, ErrorCodes } from './errors.ts';

/**
 * One rate limit: at most `quota` requests per window of `windowSeconds`, counted per key (a user id, a client
 * address, a username). A key's window starts with its first request and its count starts again when it ends
 * (a fixed window per key: one counter and one expiry, which a shared store updates in one atomic step).
 */
export interface RateLimitPolicy {
  /** Its name in the RateLimit and RateLimit-Policy fields and in a refusal, e.g. "sends". */
  name: string;
  quota: number;
  windowSeconds: number;
  /** What it counts, in words for the refusal's detail: "message sends per user". */
  counts: string;
}

/** A key's counter after one more request: the requests in its current window, and the milliseconds that window has left. */
export interface WindowCount {
  count: number;
  resetMs: number;
}

/** A counter as a store without expiry of its own (memory) keeps it: the count, and when its window ends. */
export interface WindowState {
  count: number;
  endsAt: number;
}

/** What one policy says about one request. */
export interface RateLimitDecision {
  policy: RateLimitPolicy;
  allowed: boolean;
  /** Requests left in the window after this one. */
  remaining: number;
  /** Whole seconds until the window ends and the quota is whole again; at least 1 while the window lasts. */
  resetSeconds: number;
}

/** Counts one request at `now` (ms) into a key's window: a window that ended (or none yet) starts anew with it. */
export function countInWindow(state: WindowState | undefined, now: number, windowMs: number): WindowState {
  if (state === undefined || state.endsAt <= now) return { count: 1, endsAt: now + windowMs };
  return { count: state.count + 1, endsAt: state.endsAt };
}

export function decide(policy: RateLimitPolicy, { count, resetMs }: WindowCount): RateLimitDecision {
  return {
    policy,
    allowed: count <= policy.quota,
    remaining: Math.max(0, policy.quota - count),
    // Rounded up: a client that waits `t` seconds (or Retry-After) finds the window over, never a moment early.
    resetSeconds: Math.max(1, Math.ceil(resetMs / 1000)),
  };
}

/**
 * Which limit a request over one or more of them is refused by, or undefined when every one allowed it: over several,
 * the one that frees up last, since retrying once its window ends passes them all.
 */
export function refusingLimit(decisions: readonly RateLimitDecision[]): RateLimitDecision | undefined {
  let refusing: RateLimitDecision | undefined;
  for (const decision of decisions) {
    if (!decision.allowed && (refusing === undefined || decision.resetSeconds > refusing.resetSeconds)) refusing = decision;
  }
  return refusing;
}

/** The refusal (429) naming the limit, its size and when to come back. */
export function rateLimitedError({ policy, resetSeconds }: RateLimitDecision): DomainError {
  const { name, quota, windowSeconds, counts } = policy;
  return new DomainError(
    ErrorCodes.RATE_LIMITED,
    `Rate limit "${name}" reached: at most ${quota} ${counts} every ${duration(windowSeconds)}; retry in ${resetSeconds} s`,
    undefined,
    { rate_limit: name, quota, window_seconds: windowSeconds, retry_after_seconds: resetSeconds },
  );
}

/** Whole hours, minutes or seconds as people write them: "1 hour", "5 minutes", "90 seconds". */
export function duration(seconds: number): string {
  const [amount, unit] = seconds % 3600 === 0 ? [seconds / 3600, 'hour'] : seconds % 60 === 0 ? [seconds / 60, 'minute'] : [seconds, 'second'];
  return amount === 1 ? unit : `${amount} ${unit}s`;
}
