import type { Logger } from '../ports/logger.ts';
import { jsonOf, type BatchHandler, type BusRecord, type ConsumedRecord } from '../ports/message-bus.ts';

/** Where records no consumer can apply go, with why: one topic for every consumer group. */
export const DEAD_LETTERS_TOPIC = 'dead_letters';

/** A record a handler cannot apply, for a reason that will not go away by trying again. */
export interface Rejection {
  record: ConsumedRecord;
  reason: string;
}

/** A batch handler that may reject some records instead of failing the whole batch. */
export type RejectingHandler = (records: ConsumedRecord[]) => Promise<Rejection[] | void>;

/** What a dead-lettered record carries: the record as it was, where it came from, and why it was set aside. */
export interface DeadLetteredRecord {
  group: string;
  topic: string;
  partition: number;
  offset: string;
  key: string;
  value: unknown;
  reason: string;
  failed_at: string;
}

export interface UnprocessableOptions {
  group: string;
  /** Appends records in a transaction of their own (the outbox, or the bus's log when it is in the database). */
  append: (records: BusRecord[]) => Promise<void>;
  /** Whether an error can go away by trying again (the database or the broker unavailable, a deadlock). */
  isTransient: (error: unknown) => boolean;
  log: Logger;
}

/**
 * Keeps one bad record from blocking a partition forever: records the handler rejects, and a record whose batch
 * fails for a permanent reason (found by running the batch's records one at a time), go to DEAD_LETTERS_TOPIC with
 * their reason, are logged and counted, and the consumer moves on. Transient errors fail the batch, which is read
 * again, as before.
 */
export class UnprocessableRecords {
  readonly #options: UnprocessableOptions;
  #count = 0;

  constructor(options: UnprocessableOptions) {
    this.#options = options;
  }

  /** Records dead-lettered by this process so far. */
  get count(): number {
    return this.#count;
  }

  guard(handler: RejectingHandler): BatchHandler {
    const run = async (records: ConsumedRecord[]): Promise<void> => {
      let rejected: Rejection[];
      try {
        rejected = (await handler(records)) ?? [];
      } catch (error) {
        if (this.#options.isTransient(error)) throw error;
        if (records.length > 1) {
          // Which record is it? In order, so the good ones keep theirs.
          for (const record of records) await run([record]);
          return;
        }
        rejected = [{ record: records[0]!, reason: reasonOf(error) }];
      }
      if (rejected.length > 0) await this.#deadLetter(rejected);
    };
    return run;
  }

  async #deadLetter(rejected: readonly Rejection[]): Promise<void> {
    const { group, append, log } = this.#options;
    const failedAt = new Date().toISOString();
    await append(
      rejected.map(({ record, reason }) => {
        const value: DeadLetteredRecord = { group, topic: record.topic, partition: record.partition, offset: record.offset, key: record.key, value: record.value, reason, failed_at: failedAt };
        return { topic: DEAD_LETTERS_TOPIC, key: record.key, value };
      }),
    );
    this.#count += rejected.length;
    for (const { record, reason } of rejected) {
      log.error(
        { group, topic: record.topic, partition: record.partition, offset: record.offset, reason, dead_letters: this.#count },
        `record ${record.topic}/${record.partition}/${record.offset} cannot be applied (${reason}): moved to ${DEAD_LETTERS_TOPIC}`,
      );
    }
  }
}

function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : jsonOf(error);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
