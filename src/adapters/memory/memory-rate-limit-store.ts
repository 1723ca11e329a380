import { countInWindow, type WindowCount, type WindowState } from '../../domain/rate-limits.ts';
import type { RateLimitStore } from '../../ports/rate-limit-store.ts';

/** How often counters whose window ended are dropped, so keys seen once (client addresses) do not pile up. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * Counters in this process's memory: exact for one API process (the embedded hub), but each process of a
 * distributed deployment would count on its own, so there the counters belong in Redis.
 */
export class MemoryRateLimitStore implements RateLimitStore {
  readonly #windows = new Map<string, WindowState>();
  readonly #now: () => number;
  #nextSweep: number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
    this.#nextSweep = now() + SWEEP_INTERVAL_MS;
  }

  /** Counters held, ended windows included until the next sweep. */
  get size(): number {
    return this.#windows.size;
  }

  hit(key: string, windowMs: number): WindowCount {
    const now = this.#now();
    if (now >= this.#nextSweep) this.#sweep(now);
    const state = countInWindow(this.#windows.get(key), now, windowMs);
    this.#windows.set(key, state);
    return { count: state.count, resetMs: state.endsAt - now };
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.#windows.clear();
  }

  #sweep(now: number): void {
    for (const [key, state] of this.#windows) if (state.endsAt <= now) this.#windows.delete(key);
    this.#nextSweep = now + SWEEP_INTERVAL_MS;
  }
}
