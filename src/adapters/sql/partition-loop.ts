import type { Logger } from '../../ports/logger.ts';
import type { Subscription } from '../../ports/message-bus.ts';
import type { Wakeup } from '../wakeup.ts';
import type { PartitionLeases } from './partition-leases.ts';

export interface PartitionedRecord {
  partition: number;
  offset: number;
}

/** Where a partitioned consumer reads from and how it acknowledges what it handled. */
export interface PartitionSource<R extends PartitionedRecord> {
  /** Reads up to `limit` records from the held partitions, each from its committed offset, in offset order. */
  read(held: ReadonlyMap<number, number>, limit: number): Promise<R[]>;
  /** Runs after the handler succeeded and before the offsets are committed. */
  acknowledge(records: R[]): Promise<void>;
}

/** How consumers of a deployment poll, batch and hold leases; the same for the outbox and the bus. */
export interface LoopSettings {
  /** Identifies this process among the members of a consumer group. */
  holder: string;
  pollIntervalMs: number;
  leaseTtlMs: number;
  /** How long to let records accumulate after a partial batch before reading again. */
  lingerMs: number;
}

export interface PartitionLoopOptions<R extends PartitionedRecord> extends Omit<LoopSettings, 'holder'> {
  leases: PartitionLeases;
  source: PartitionSource<R>;
  handler: (records: R[]) => Promise<void>;
  wakeup: Wakeup;
  batchSize: number;
  log: Logger;
}

/**
 * Drives one member of a consumer group: holds leases, reads the held partitions from their committed
 * offsets, hands each batch to the handler and commits only after it succeeded. A failed batch is read again.
 */
export function startPartitionLoop<R extends PartitionedRecord>(options: PartitionLoopOptions<R>): Subscription {
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

async function run<R extends PartitionedRecord>(options: PartitionLoopOptions<R>, signal: AbortSignal): Promise<void> {
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
      let records: R[] = [];
      try {
        records = held.size > 0 ? await source.read(held, options.batchSize) : [];
        if (records.length > 0 && !signal.aborted) {
          await handler(records);
          await source.acknowledge(records);
          held = await leases.commit(nextOffsets(records));
          claimedAt = Date.now();
        }
        failures = 0;
      } catch (error) {
        failures++;
        log.error({ err: error, records: records.length }, 'batch failed; it will be delivered again');
        await sleep(Math.min(options.pollIntervalMs * 2 ** failures, 5_000), signal);
        continue;
      }
      if (records.length === 0) await wakeup.wait(options.pollIntervalMs, signal);
      // Let a partial batch fill up a little: one read per few records instead of one per record under load.
      if (records.length < options.batchSize) await sleep(options.lingerMs, signal);
    }
  } finally {
    await leases.releaseAll().catch((error: unknown) => log.warn({ err: error }, 'could not release partition leases'));
  }
}

function nextOffsets(records: readonly PartitionedRecord[]): Map<number, number> {
  const next = new Map<number, number>();
  for (const { partition, offset } of records) next.set(partition, Math.max(next.get(partition) ?? 0, offset + 1));
  return next;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}
