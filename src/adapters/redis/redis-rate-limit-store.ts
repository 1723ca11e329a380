import { Redis } from 'ioredis';
import type { WindowCount } from '../../domain/rate-limits.ts';
import type { Logger } from '../../ports/logger.ts';
import type { RateLimitStore } from '../../ports/rate-limit-store.ts';

/**
 * One request counted in one round trip and one atomic step: the count goes up, and a counter that has no expiry
 * yet (it was just created) gets its window. Redis keeps the time, so API processes need no agreement on clocks.
 */
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

/**
 * A request waits at most this long for Redis: past it, it is let through unchecked (the limiter fails open) rather
 * than slowed down by a stalled store.
 */
const COMMAND_TIMEOUT_MS = 250;

type ScriptedRedis = Redis & { chat4allHit(key: string, windowMs: number): Promise<[number, number]> };

export interface RedisStoreOptions {
  url: string;
  /** Prepended to every key, so deployments (or test hubs) sharing one Redis keep their counters apart. */
  keyPrefix: string;
  log: Logger;
}

/** Counters in Redis, shared by every API process pointed at it (REDIS_URL). */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #redis: ScriptedRedis;
  readonly #prefix: string;

  constructor({ url, keyPrefix, log }: RedisStoreOptions) {
    this.#prefix = keyPrefix;
    this.#redis = new Redis(url, {
      // Down means "let requests through now", not "queue them until it is back".
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      // Requests arriving together share one write to the socket.
      enableAutoPipelining: true,
      // Reconnects for as long as the process lives, at most every 2 s.
      retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
      connectionName: 'chat4all-rate-limits',
    }) as ScriptedRedis;
    this.#redis.defineCommand('chat4allHit', { numberOfKeys: 1, lua: HIT_SCRIPT });
    // Said once per outage, not at every reconnection attempt; without a listener ioredis prints each error itself.
    let down = false;
    this.#redis.on('error', (error: Error) => {
      if (down) return;
      down = true;
      log.warn({ err: error }, 'Redis for rate limits unreachable: requests pass unchecked until it is back');
    });
    this.#redis.on('ready', () => {
      if (!down) return;
      down = false;
      log.info({}, 'Redis for rate limits reachable again');
    });
  }

  async hit(key: string, windowMs: number): Promise<WindowCount> {
    const [count, resetMs] = await this.#redis.chat4allHit(this.#prefix + key, windowMs);
    return { count, resetMs };
  }

  async ping(): Promise<void> {
    await this.#redis.ping();
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}
