import { Redis } from 'ioredis';
import { nextBlockSize, reservedBlock, takeCount, type CountBlock } from '../../domain/count-blocks.ts';
import type { WindowCount } from '../../domain/rate-limits.ts';
import type { Logger } from '../../ports/logger.ts';
import type { RateLimitStore } from '../../ports/rate-limit-store.ts';

/**
 * Counts reserved in one round trip and one atomic step: the count goes up by the block's size, and a counter that
 * has no expiry yet (it was just created) gets its window. Redis keeps the time, so API processes need no agreement
 * on clocks.
 */
const RESERVE_SCRIPT = `
local count = redis.call('INCRBY', KEYS[1], ARGV[2])
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
/** How often blocks whose window ended are dropped. */
const SWEEP_INTERVAL_MS = 60_000;

type ScriptedRedis = Redis & { chat4allReserve(key: string, windowMs: number, size: number): Promise<[number, number]> };

export interface RedisStoreOptions {
  url: string;
  /** Prepended to every key, so deployments (or test hubs) sharing one Redis keep their counters apart. */
  keyPrefix: string;
  log: Logger;
}

/**
 * Counters in Redis, shared by every API process pointed at it (REDIS_URL). A busy key is counted ahead in blocks
 * (domain/count-blocks.ts): a user sending hundreds of messages a second costs a round trip every few dozen sends,
 * not one each, and still never gets more than the quota across all processes.
 */
export class RedisRateLimitStore implements RateLimitStore {
  readonly #redis: ScriptedRedis;
  readonly #prefix: string;
  readonly #blocks = new Map<string, CountBlock>();
  /** Reservations in flight, so that requests for one key arriving together wait for one instead of each making one. */
  readonly #reserving = new Map<string, Promise<void>>();
  #nextSweep = performance.now() + SWEEP_INTERVAL_MS;

  constructor({ url, keyPrefix, log }: RedisStoreOptions) {
    this.#prefix = keyPrefix;
    this.#redis = new Redis(url, {
      // Down means "let requests through now", not "queue them until it is back".
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      // No auto-pipelining: with counts reserved in blocks, reservations rarely come together, and a pipeline of one
      // command cost twice the CPU of the command alone.
      // Reconnects for as long as the process lives, at most every 2 s.
      retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
      connectionName: 'chat4all-rate-limits',
    }) as ScriptedRedis;
    this.#redis.defineCommand('chat4allReserve', { numberOfKeys: 1, lua: RESERVE_SCRIPT });
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

  hit(key: string, windowMs: number, quota: number): WindowCount | Promise<WindowCount> {
    const now = performance.now();
    return takeCount(this.#blocks.get(key), now) ?? this.#reserveAndTake(key, windowMs, quota);
  }

  async #reserveAndTake(key: string, windowMs: number, quota: number): Promise<WindowCount> {
    for (;;) {
      const inFlight = this.#reserving.get(key);
      if (inFlight) await inFlight;
      else {
        const reservation = this.#reserve(key, windowMs, quota);
        this.#reserving.set(key, reservation);
        try {
          await reservation;
        } finally {
          this.#reserving.delete(key);
        }
      }
      // Others waiting on the same reservation may have used it up: then reserve again.
      const taken = takeCount(this.#blocks.get(key), performance.now());
      if (taken) return taken;
    }
  }

  async #reserve(key: string, windowMs: number, quota: number): Promise<void> {
    const now = performance.now();
    if (now >= this.#nextSweep) this.#sweep(now);
    const size = nextBlockSize(this.#blocks.get(key), now, quota);
    const [total, resetMs] = await this.#redis.chat4allReserve(this.#prefix + key, windowMs, size);
    this.#blocks.set(key, reservedBlock(total, size, resetMs, performance.now()));
  }

  async ping(): Promise<void> {
    await this.#redis.ping();
  }

  async close(): Promise<void> {
    this.#blocks.clear();
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }

  #sweep(now: number): void {
    for (const [key, block] of this.#blocks) if (block.endsAt <= now) this.#blocks.delete(key);
    this.#nextSweep = now + SWEEP_INTERVAL_MS;
  }
}
