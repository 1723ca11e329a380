import { decide, type RateLimitDecision, type RateLimitPolicy } from '../domain/rate-limits.ts';
import type { Logger } from '../ports/logger.ts';
import type { RateLimitStore } from '../ports/rate-limit-store.ts';

/** The hub's limits: each one's name (in the RateLimit fields and in refusals) and what it counts. */
export const RATE_LIMITS = {
  loginAddress: { name: 'login-address', counts: 'login attempts from one client address' },
  loginUsername: { name: 'login-username', counts: 'login attempts for one username' },
  sends: { name: 'sends', counts: 'messages sent by one user' },
  uploads: { name: 'uploads', counts: 'uploads started by one user' },
  chunks: { name: 'chunks', counts: 'chunk requests by one user' },
  webhooks: { name: 'webhooks', counts: 'webhook registrations by one user' },
} as const;

export type RateLimitName = keyof typeof RATE_LIMITS;

/** A limit's size: `quota` requests per `windowSeconds`. */
export interface RateLimitQuota {
  quota: number;
  windowSeconds: number;
}

/** The limits in force; one left out is off. */
export type RateLimitPolicies = Partial<Record<RateLimitName, RateLimitPolicy>>;

export function rateLimitPolicies(quotas: Partial<Record<RateLimitName, RateLimitQuota>>): RateLimitPolicies {
  return Object.fromEntries(
    Object.entries(quotas).map(([limit, quota]) => [limit, { ...RATE_LIMITS[limit as RateLimitName], ...quota }]),
  ) as RateLimitPolicies;
}

/** Warnings about an unreachable store come at most this often, with the count of requests let through meanwhile. */
const WARN_INTERVAL_MS = 30_000;

/**
 * Counts requests against their limits. It fails open: when the store cannot answer (Redis down or slow), the request
 * goes through unchecked and a warning is logged, since refusing every request, or answering 5xx, because the
 * counters are unreachable would turn a small outage into a full one.
 */
export class RateLimiter {
  readonly #store: RateLimitStore;
  readonly #log: Logger;
  #uncheckedCount = 0;
  #warnedAt = -Infinity;

  constructor(store: RateLimitStore, log: Logger) {
    this.#store = store;
    this.#log = log;
  }

  /**
   * Counts one request under `key` (a user id, an address, a username); undefined when it could not be counted. At
   * once when the store answers at once (memory), else a promise (Redis).
   */
  check(policy: RateLimitPolicy, key: string): RateLimitDecision | undefined | Promise<RateLimitDecision | undefined> {
    let counted: ReturnType<RateLimitStore['hit']>;
    try {
      counted = this.#store.hit(`${policy.name}:${key}`, policy.windowSeconds * 1000, policy.quota);
    } catch (error) {
      return this.#unchecked(error);
    }
    if (counted instanceof Promise) return counted.then((count) => decide(policy, count), (error: unknown) => this.#unchecked(error));
    return decide(policy, counted);
  }

  #unchecked(error: unknown): undefined {
    this.#uncheckedCount++;
    const now = performance.now();
    if (now - this.#warnedAt >= WARN_INTERVAL_MS) {
      this.#log.warn({ err: error, unchecked: this.#uncheckedCount }, 'rate limits not enforced: their counters cannot be reached');
      this.#warnedAt = now;
      this.#uncheckedCount = 0;
    }
    return undefined;
  }

  ping(): Promise<void> {
    return this.#store.ping();
  }

  close(): Promise<void> {
    return this.#store.close();
  }
}
