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
  /**
   * Whether every writer wakes this loop (writers in this process through `wakeup`, others through `listen`): then
   * an idle loop polls less and less often, down to once per IDLE_POLL_MS, as a safety net only.
   */
  wokenByWriters: boolean;
  /** Subscribes to writers' notifications from other processes; resolves with the function that unsubscribes. */
  listen?: (wake: () => void) => Promise<() => Promise<void>>;
  /**
   * Whether progress is recorded as committed offsets (a log read from them). Without, acknowledging is the only
   * record (the outbox deletes what it relayed), and leases are renewed every leaseTtlMs / 3 instead of per batch.
   */
  commitsOffsets: boolean;
  batchSize: number;
  log: Logger;
}

/** The longest pause between polls of an idle loop that writers wake (see wokenByWriters). */
const IDLE_POLL_MS = 1_000;

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
  const unlisten = await options.listen?.(() => wakeup.notify()).catch((error: unknown) => {
    log.warn({ err: error }, 'could not listen for new records; polling instead');
    return undefined;
  });
  const longestPoll = options.wokenByWriters && (!options.listen || unlisten) ? Math.max(IDLE_POLL_MS, options.pollIntervalMs) : options.pollIntervalMs;
  let poll = options.pollIntervalMs;
  let held = new Map<number, number>();
  // Renew a third into the lease; holding nothing (yet), look again soon (but not at every wake-up).
  const claimAgainAt = () => Date.now() + (held.size > 0 ? options.leaseTtlMs / 3 : options.pollIntervalMs);
  let nextClaimAt = 0;
  let failures = 0;
  try {
    while (!signal.aborted) {
      if (Date.now() >= nextClaimAt) {
        held = await leases.claim().catch((error: unknown) => {
          log.warn({ err: error }, 'could not renew partition leases; retrying');
          return new Map<number, number>();
        });
        nextClaimAt = claimAgainAt();
      }
      let records: R[] = [];
      // A writer that woke us while we were reading has committed after our read began: read again.
      const notifications = wakeup.notifications;
      try {
        records = held.size > 0 ? await source.read(held, options.batchSize) : [];
        if (records.length > 0 && !signal.aborted) {
          await handler(records);
          await source.acknowledge(records);
          if (options.commitsOffsets) {
            held = await leases.commit(nextOffsets(records));
            nextClaimAt = claimAgainAt();
          }
        }
        failures = 0;
      } catch (error) {
        failures++;
        log.error({ err: error, records: records.length }, 'batch failed; it will be delivered again');
        await sleep(Math.min(options.pollIntervalMs * 2 ** failures, 5_000), signal);
        continue;
      }
      if (records.length > 0 || wakeup.notifications !== notifications) poll = options.pollIntervalMs;
      else poll = (await wakeup.wait(poll, signal)) ? options.pollIntervalMs : Math.min(poll * 2, longestPoll);
      // Let a partial batch fill up a little: one read per few records instead of one per record under load.
      if (records.length < options.batchSize) await sleep(options.lingerMs, signal);
    }
  } finally {
    await leases.releaseAll().catch((error: unknown) => log.warn({ err: error }, 'could not release partition leases'));
    await unlisten?.();
  }
}

function nextOffsets(records: readonly PartitionedRecord[]): Map<number, number> {
  const next = new Map<number, number>();
  for (const { partition, offset } of records) next.set(partition, Math.max(next.get(partition) ?? 0, offset + 1));
  return next;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
