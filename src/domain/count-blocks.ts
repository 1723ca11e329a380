/**
 * Counting ahead in blocks, for a shared counter (Redis) that every API process increments: a process that sees a
 * key busy reserves several counts in one round trip and hands them out to its next requests itself. Counts stay
 * unique across processes (each block is a range of the shared counter), so no more than the quota is ever let
 * through; what a process reserved and did not use when the window ends was counted for nothing, so blocks are kept
 * to a small part of the quota, and a key seen once takes a block of one.
 */

/** The largest part of a quota one block may take: 1/50 (2 %), and never more than 64 counts. */
const QUOTA_SHARE = 50;
const MAX_BLOCK = 64;

/** The largest block for a quota: 1 (exact counting, one round trip per request) below 100. */
export function maxBlock(quota: number): number {
  return Math.max(1, Math.min(MAX_BLOCK, Math.floor(quota / QUOTA_SHARE)));
}

/** Counts reserved by this process for one key: the shared counter's values next…last, until the window ends. */
export interface CountBlock {
  next: number;
  last: number;
  /** When the window ends, on this process's monotonic clock (ms). */
  endsAt: number;
  size: number;
}

/** The next count of the block, or undefined when it is used up or its window ended. */
export function takeCount(block: CountBlock | undefined, now: number): { count: number; resetMs: number } | undefined {
  if (block === undefined || block.next > block.last || now >= block.endsAt) return undefined;
  return { count: block.next++, resetMs: block.endsAt - now };
}

/**
 * The size of the next block: twice the last when that one was used up within its window (the key is busy), up to
 * maxBlock; back to one when the key went quiet long enough for its window to end.
 */
export function nextBlockSize(previous: CountBlock | undefined, now: number, quota: number): number {
  if (previous === undefined || now >= previous.endsAt) return 1;
  return Math.min(maxBlock(quota), previous.size * 2);
}

/** The block a reservation of `size` counts made: the counter reads `total` after it, with `resetMs` of window left. */
export function reservedBlock(total: number, size: number, resetMs: number, now: number): CountBlock {
  return { next: total - size + 1, last: total, endsAt: now + resetMs, size };
}
