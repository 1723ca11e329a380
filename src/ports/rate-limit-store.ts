import type { WindowCount } from '../domain/rate-limits.ts';

/** Where rate-limit counters live: this process's memory, or a store every API process shares (Redis). */
export interface RateLimitStore {
  /**
   * Counts one request under `key`, in the key's window of `windowMs` (started by its first request), atomically:
   * concurrent hits from any process sharing the store each get their own count. `quota` is the limit the count is
   * held against: a shared store may count ahead in blocks for a busy key when the quota is large enough that a
   * block is a small part of it. A store in memory answers at once (no promise): the send path then pays no extra
   * turn of the event loop.
   */
  hit(key: string, windowMs: number, quota: number): WindowCount | Promise<WindowCount>;
  /** Resolves when the store answers; for /ready. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
