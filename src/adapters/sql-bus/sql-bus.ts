import { sql } from 'kysely';
import type { Logger } from '../../ports/logger.ts';
import { type BatchHandler, type BusRecord, type ConsumedRecord, type MessageBus, type Subscription } from '../../ports/message-bus.ts';
import { BusAppender } from '../sql/records/bus-appender.ts';
import { recordsCte } from '../sql/records/record-appender.ts';
import { PartitionLeases } from '../sql/partition-leases.ts';
import { startPartitionLoop, type LoopSettings } from '../sql/partition-loop.ts';
import type { Db } from '../sql/sql-database.ts';
import type { TopicWakeups } from '../wakeup.ts';

export interface SqlBusOptions extends LoopSettings {
  partitions: number;
  /** Whether every publisher is in this process (the database is its alone), so its publishes wake every consumer. */
  exclusive: boolean;
  /** Per topic, shared with the writers of this process (the stores append to the log directly). */
  wakeups: TopicWakeups;
  log: Logger;
}

/** A record as read from the table, its offset still a number. */
type LogRecord = Omit<ConsumedRecord, 'offset'> & { offset: number };

/** Trim a partition's acknowledged records every this many commits. */
const TRIM_EVERY = 50;

/**
 * The embedded bus: Kafka's model (topics, keyed partitions, consumer groups with committed offsets) on two
 * tables of the hub's own database. Offsets are gap-free: publishing takes the partition head's row lock, so
 * offsets are handed out in commit order and a reader never skips a record still being written.
 */
export class SqlBus implements MessageBus {
  readonly #db: Db;
  readonly #options: SqlBusOptions;
  readonly #subscriptions = new Set<Subscription>();
  readonly #appender: BusAppender;

  constructor(db: Db, options: SqlBusOptions) {
    this.#db = db;
    this.#options = options;
    this.#appender = new BusAppender({ partitions: options.partitions, wake: (topic) => options.wakeups.of(topic).notify() });
  }

  async ensureTopics(): Promise<void> {
    // Topics exist implicitly: a partition head row is created by the first publish.
  }

  /** Appends in a transaction of its own, as the stores do in theirs (BusAppender). */
  async publish(records: readonly BusRecord[]): Promise<void> {
    if (records.length === 0) return;
    const appended = this.#appender.append('records', 'records');
    await sql`WITH ${recordsCte('records', records, this.#appender)}, ${appended.ctes} SELECT 1`.execute(this.#db);
    this.#appender.written(records.map((record) => record.topic));
  }

  subscribe(group: string, topic: string, handler: BatchHandler): Subscription {
    const db = this.#db;
    const { partitions, holder, leaseTtlMs } = this.#options;
    let commits = 0;
    const subscription = startPartitionLoop<LogRecord>({
      ...this.#options,
      wakeup: this.#options.wakeups.of(topic),
      leases: new PartitionLeases(db, { group, topic, partitions, holder, ttlMs: leaseTtlMs }),
      wokenByWriters: this.#options.exclusive,
      commitsOffsets: true,
      batchSize: 200,
      handler: (records) => handler(records.map((record) => ({ ...record, offset: String(record.offset) }))),
      source: {
        async read(held, limit) {
          // Runs of records: the first one may hold some already acknowledged (a batch that ended within it).
          const { rows } = await sql<{ partition: number; offset: number | string; keys: string[]; vals: unknown[] }>`
            SELECT r.partition, r."offset", r.keys, r.vals
            FROM unnest(${[...held.keys()]}::int[], ${[...held.values()]}::bigint[]) AS h (partition, committed)
            CROSS JOIN LATERAL (
              SELECT * FROM bus_records
              WHERE topic = ${topic} AND partition = h.partition AND last_offset >= h.committed
              ORDER BY last_offset LIMIT ${limit}) AS r
            ORDER BY r.partition, r.last_offset`.execute(db);
          const records: LogRecord[] = [];
          for (const row of rows) {
            const first = Number(row.offset);
            const committed = held.get(row.partition)!;
            row.keys.forEach((key, i) => {
              if (first + i >= committed) records.push({ topic, partition: row.partition, key, value: row.vals[i], offset: first + i });
            });
          }
          return records.slice(0, limit);
        },
        async acknowledge(records) {
          if (++commits % TRIM_EVERY === 0) await trim(db, topic, [...new Set(records.map((r) => r.partition))]);
        },
      },
    });
    this.#subscriptions.add(subscription);
    return {
      stop: async () => {
        this.#subscriptions.delete(subscription);
        await subscription.stop();
      },
    };
  }

  async close(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((subscription) => subscription.stop()));
  }
}

/** Deletes records every group subscribed to the topic has acknowledged. */
async function trim(db: Db, topic: string, partitions: number[]): Promise<void> {
  await sql`
    DELETE FROM bus_records r
    WHERE r.topic = ${topic} AND r.partition = ANY(${partitions}::int[])
      AND r.last_offset < (SELECT min(l.committed_offset) FROM partition_leases l
                        WHERE l.topic = r.topic AND l.partition = r.partition)`.execute(db);
}
