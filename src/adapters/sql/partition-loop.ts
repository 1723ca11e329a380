import type { Logger } from '../../ports/logger.ts';
import type { Subscription } from '../../ports/message-bus.ts';
import type { Wakeup } from '../wakeup.ts';
import type { PartitionLeases } from './partition-leases.ts';

export interface OffsetRecord {
  offset: number;
}

/** Where a partitioned consumer reads from and how it acknowledges what it handled. */
export interface PartitionSource<R extends OffsetRecord> {
  read(partition: number, fromOffset: number, limit: number): Promise<R[]>;
  /** Runs after the handler succeeded and before the offset is committed. */
  acknowledge(partition: number, records: R[]): Promise<void>;
}

export interface PartitionLoopOptions<R extends OffsetRecord> {
  leases: PartitionLeases;
  source: PartitionSource<R>;
  handler: (records: R[]) => Promise<void>;
  wakeup: Wakeup;
  pollIntervalMs: number;
  leaseTtlMs: number;
  batchSize: number;
  log: Logger;
}

/**
 * Drives one member of a consumer group: holds leases, reads each held partition from its committed offset,
 * hands batches to the handler and commits only after it succeeded. A failed batch is read again.
 */
export function startPartitionLoop<R extends OffsetRecord>(options: PartitionLoopOptions<R>): Subscription {
  const stopping = new AbortController();
  const done = run(options, stopping.signal).catch((error: unknown) => {
    options.log.error({ err: error }, 'consumer loop stopped on an unexpected error');
  });
  return {
    async stop() {
      stopping.abort();
      await done;
    },
  };
}

async function run<R extends OffsetRecord>(options: PartitionLoopOptions<R>, signal: AbortSignal): Promise<void> {
  const { leases, source, handler, wakeup, log } = options;
  await leases.join();
  let held = new Map<number, number>();
  let claimedAt = 0;
  let failures = 0;
  try {
    while (!signal.aborted) {
      if (Date.now() - claimedAt > options.leaseTtlMs / 3) {
        held = await leases.claim().catch((error: unknown) => {
          log.warn({ err: error }, 'could not renew partition leases; retrying');
          return new Map<number, number>();
        });
        claimedAt = held.size > 0 ? Date.now() : 0;
      }
      let handled = 0;
      let failed = false;
      await Promise.all(
        [...held].map(async ([partition, offset]) => {
          try {
            const records = await source.read(partition, offset, options.batchSize);
            if (records.length === 0 || signal.aborted) return;
            await handler(records);
            await source.acknowledge(partition, records);
            const next = records[records.length - 1]!.offset + 1;
            if (await leases.commit(partition, next)) held.set(partition, next);
            else held.delete(partition);
            handled += records.length;
          } catch (error) {
            failed = true;
            log.error({ err: error, partition }, 'batch failed; it will be delivered again');
          }
        }),
      );
      failures = failed ? failures + 1 : 0;
      if (failed) await sleep(Math.min(options.pollIntervalMs * 2 ** failures, 5_000), signal);
      else if (handled === 0) await wakeup.wait(options.pollIntervalMs, signal);
    }
  } finally {
    await leases.releaseAll().catch((error: unknown) => log.warn({ err: error }, 'could not release partition leases'));
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
