import { sql } from 'kysely';
import type { Logger } from '../../ports/logger.ts';
import { jsonOf, type BatchHandler, type BusRecord, type ConsumedRecord, type MessageBus, type Subscription } from '../../ports/message-bus.ts';
import { partitionFor } from '../partitioning.ts';
import { PartitionLeases } from '../sql/partition-leases.ts';
import { startPartitionLoop, type LoopSettings } from '../sql/partition-loop.ts';
import type { Db } from '../sql/sql-database.ts';
import { Wakeup } from '../wakeup.ts';

export interface SqlBusOptions extends LoopSettings {
  partitions: number;
  /** Whether every publisher is in this process (the database is its alone), so its publishes wake every consumer. */
  exclusive: boolean;
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
  /** Per topic, so a publish wakes only the consumers of the topics it wrote to. */
  readonly #wakeups = new Map<string, Wakeup>();

  constructor(db: Db, options: SqlBusOptions) {
    this.#db = db;
    this.#options = options;
  }

  async ensureTopics(): Promise<void> {
    // Topics exist implicitly: a partition head row is created by the first publish.
  }

  async publish(records: readonly BusRecord[]): Promise<void> {
    if (records.length === 0) return;
    const groups = new Map<string, { topic: string; partition: number; keys: string[]; values: string[] }>();
    for (const record of records) {
      const partition = partitionFor(record.key, this.#options.partitions);
      const id = `${record.topic}\u0000${partition}`;
      const group = groups.get(id) ?? { topic: record.topic, partition, keys: [], values: [] };
      group.keys.push(record.key);
      group.values.push(jsonOf(record.value));
      groups.set(id, group);
    }
    await this.#db.transaction().execute(async (trx) => {
      for (const { topic, partition, keys, values } of groups.values()) {
        await sql`
          WITH head AS (
            INSERT INTO bus_heads AS h (topic, partition, next_offset) VALUES (${topic}, ${partition}, ${keys.length})
            ON CONFLICT (topic, partition) DO UPDATE SET next_offset = h.next_offset + ${keys.length}
            RETURNING next_offset - ${keys.length} AS base
          )
          INSERT INTO bus_records (topic, partition, "offset", key, value)
          SELECT ${topic}, ${partition}, head.base + r.ordinal - 1, r.key, r.value
          FROM head, unnest(${keys}::text[], ${values}::jsonb[]) WITH ORDINALITY AS r (key, value, ordinal)`.execute(trx);
      }
    });
    for (const { topic } of groups.values()) this.#wakeup(topic).notify();
  }

  subscribe(group: string, topic: string, handler: BatchHandler): Subscription {
    const db = this.#db;
    const { partitions, holder, leaseTtlMs } = this.#options;
    let commits = 0;
    const subscription = startPartitionLoop<LogRecord>({
      ...this.#options,
      wakeup: this.#wakeup(topic),
      leases: new PartitionLeases(db, { group, topic, partitions, holder, ttlMs: leaseTtlMs }),
      wokenByWriters: this.#options.exclusive,
      commitsOffsets: true,
      batchSize: 200,
      handler: (records) => handler(records.map((record) => ({ ...record, offset: String(record.offset) }))),
      source: {
        async read(held, limit) {
          const { rows } = await sql<{ partition: number; offset: number | string; key: string; value: unknown }>`
            SELECT r.partition, r."offset", r.key, r.value
            FROM unnest(${[...held.keys()]}::int[], ${[...held.values()]}::bigint[]) AS h (partition, committed)
            CROSS JOIN LATERAL (
              SELECT * FROM bus_records
              WHERE topic = ${topic} AND partition = h.partition AND "offset" >= h.committed
              ORDER BY "offset" LIMIT ${limit}) AS r
            ORDER BY r.partition, r."offset"
            LIMIT ${limit}`.execute(db);
          return rows.map((row) => ({ topic, partition: row.partition, key: row.key, value: row.value, offset: Number(row.offset) }));
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

  #wakeup(topic: string): Wakeup {
    let wakeup = this.#wakeups.get(topic);
    if (!wakeup) this.#wakeups.set(topic, (wakeup = new Wakeup()));
    return wakeup;
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
      AND r."offset" < (SELECT min(l.committed_offset) FROM partition_leases l
                        WHERE l.topic = r.topic AND l.partition = r.partition)`.execute(db);
}
