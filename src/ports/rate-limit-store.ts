import type { WindowCount } from '../domain/rate-limits.ts';

/** Where rate-limit counters live: this process's memory, or a store every API process shares (Redis). */
export interface RateLimitStore {
  /**
   * Counts one request under `key`, in the key's window of `windowMs` (started by its first request), atomically:
   * concurrent hits from any process sharing the store each get their own count.
   */
  hit(key: string, windowMs: number): Promise<WindowCount>;
  /** Resolves when the store answers; for /ready. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
