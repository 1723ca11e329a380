import type { Logger } from '../ports/logger.ts';
import { jsonOf, UnreadableValue, type BatchHandler, type BusRecord, type ConsumedRecord } from '../ports/message-bus.ts';

/** Where records no consumer can apply go, with why: one topic for every consumer group. */
export const DEAD_LETTERS_TOPIC = 'dead_letters';

/** A record a handler cannot apply, for a reason that will not go away by trying again. */
export interface Rejection {
  record: ConsumedRecord;
  reason: string;
}

/**
 * Splits a consumed batch into the records a consumer can read (`read` returns what it reads of a value, undefined
 * for a value of another shape) and rejections saying which kind of record was expected.
 */
export function readableRecords<T>(
  records: readonly ConsumedRecord[],
  read: (value: unknown) => T | undefined,
  expected: string,
): { readable: Array<{ record: ConsumedRecord; value: T }>; rejected: Rejection[] } {
  const readable: Array<{ record: ConsumedRecord; value: T }> = [];
  const rejected: Rejection[] = [];
  for (const record of records) {
    const value = read(record.value);
    if (value === undefined) rejected.push({ record, reason: `not a ${expected} record` });
    else readable.push({ record, value });
  }
  return { readable, rejected };
}

/** A record about something this database does not have: a bus that outlived its database holds such records. */
export function unknownHere(record: ConsumedRecord, what: string, id: string): Rejection {
  return { record, reason: `${what} ${id} does not exist in this database` };
}

/** A batch handler that may reject some records instead of failing the whole batch. */
export type RejectingHandler = (records: ConsumedRecord[]) => Promise<Rejection[] | void>;

/** What a dead-lettered record carries: the record as it was, where it came from, and why it was set aside. */
export interface DeadLetteredRecord {
  /** The consumer group that set it aside. */
  group: string;
  topic: string;
  partition: number;
  offset: string;
  key: string;
  /** The value as consumed: its JSON, or its text when it is not JSON; null when it had none or is in value_base64. */
  value: unknown;
  /** The value's bytes, when they are neither JSON nor UTF-8 text. */
  value_base64?: string;
  /** Why the value itself could not be kept here (the dead letter then goes without it). */
  value_dropped?: string;
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

  /** Records this group set aside in this process so far (each error line carries it as `dead_letters`). */
  get count(): number {
    return this.#count;
  }

  /** Says how many records were set aside since the start, if any: for the role's last words when it stops. */
  logTotal(): void {
    if (this.#count === 0) return;
    const { group, log } = this.#options;
    log.warn({ group, dead_letters: this.#count }, `${group} set aside ${this.#count} records on ${DEAD_LETTERS_TOPIC} since it started`);
  }

  guard(handler: RejectingHandler): BatchHandler {
    const run = async (batch: ConsumedRecord[]): Promise<void> => {
      const rejected: Rejection[] = [];
      const records: ConsumedRecord[] = [];
      for (const record of batch) {
        // A value the bus could not read (not JSON) is no record of any topic: the handler never sees it.
        if (record.value instanceof UnreadableValue) rejected.push({ record, reason: record.value.reason });
        else records.push(record);
      }
      if (records.length > 0) {
        try {
          rejected.push(...((await handler(records)) ?? []));
        } catch (error) {
          if (this.#options.isTransient(error)) throw error;
          if (records.length === 1) rejected.push({ record: records[0]!, reason: reasonOf(error) });
          // Which record is it? In order, so the good ones keep theirs.
          else for (const record of records) await run([record]);
        }
      }
      if (rejected.length > 0) await this.#deadLetter(rejected);
    };
    return run;
  }

  async #deadLetter(rejected: readonly Rejection[]): Promise<void> {
    const { group, append, isTransient, log } = this.#options;
    const failedAt = new Date().toISOString();
    const letters = rejected.map(({ record, reason }): DeadLetteredRecord => ({
      group,
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      key: storable(record.key),
      ...valueFields(record.value),
      reason: storable(reason),
      failed_at: failedAt,
    }));
    const toRecord = (letter: DeadLetteredRecord): BusRecord => ({ topic: DEAD_LETTERS_TOPIC, key: letter.key, value: letter });
    try {
      await append(letters.map(toRecord));
    } catch (error) {
      // A dead letter that cannot be stored would block the partition all the same: keep where it was and why.
      if (isTransient(error)) throw error;
      const dropped = reasonOf(error);
      await append(letters.map(({ value_base64: _, ...letter }) => toRecord({ ...letter, value: null, value_dropped: storable(dropped) })));
    }
    this.#count += rejected.length;
    for (const { record, reason } of rejected) {
      log.error(
        { group, topic: record.topic, partition: record.partition, offset: record.offset, reason, dead_letters: this.#count },
        `record ${record.topic}/${record.partition}/${record.offset} cannot be applied (${reason}): moved to ${DEAD_LETTERS_TOPIC}`,
      );
    }
  }
}

/** The value's fields of a dead letter: the value as it was consumed, or, not JSON, its text or its bytes. */
function valueFields(value: unknown): Pick<DeadLetteredRecord, 'value' | 'value_base64'> {
  if (!(value instanceof UnreadableValue)) return { value: storable(value) };
  return value.base64 === undefined ? { value: value.text ?? null } : { value: null, value_base64: value.base64 };
}

/**
 * The value with what a dead letter cannot hold replaced by U+FFFD: the outbox keeps values as jsonb and keys as
 * text, which take neither U+0000 nor a lone surrogate (a record that failed for holding one would fail again as a
 * dead letter). Anything else is returned as it is.
 */
function storable<T>(value: T): T {
  const clean = (text: string) => text.toWellFormed().replaceAll('\0', '\uFFFD');
  const walk = (item: unknown): unknown => {
    if (typeof item === 'string') return clean(item);
    if (Array.isArray(item)) return item.map(walk);
    if (typeof item === 'object' && item !== null) return Object.fromEntries(Object.entries(item).map(([k, v]) => [clean(k), walk(v)]));
    return item;
  };
  // Most values need nothing: JSON escapes both (as \u0000, \udxxx), so their text says whether to look.
  return /\\u(0000|d[89a-f])/i.test(jsonOf(value) ?? '') ? (walk(value) as T) : value;
}

function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : jsonOf(error);
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}
