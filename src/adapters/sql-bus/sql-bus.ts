import { sql } from 'kysely';
import type { Logger } from '../../ports/logger.ts';
import type { BatchHandler, BusRecord, ConsumedRecord, MessageBus, Subscription } from '../../ports/message-bus.ts';
import { partitionFor } from '../partitioning.ts';
import { PartitionLeases } from '../sql/partition-leases.ts';
import { startPartitionLoop } from '../sql/partition-loop.ts';
import type { Db } from '../sql/sql-database.ts';
import type { Wakeup } from '../wakeup.ts';

export interface SqlBusOptions {
  partitions: number;
  holder: string;
  pollIntervalMs: number;
  leaseTtlMs: number;
  wakeup: Wakeup;
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
      group.values.push(JSON.stringify(record.value));
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
    this.#options.wakeup.notify();
  }

  subscribe(group: string, topic: string, handler: BatchHandler): Subscription {
    const db = this.#db;
    const { partitions, holder, leaseTtlMs } = this.#options;
    const commits = new Map<number, number>();
    const subscription = startPartitionLoop<LogRecord>({
      ...this.#options,
      leases: new PartitionLeases(db, { group, topic, partitions, holder, ttlMs: leaseTtlMs }),
      batchSize: 100,
      handler: (records) => handler(records.map((record) => ({ ...record, offset: String(record.offset) }))),
      source: {
        async read(partition, fromOffset, limit) {
          const { rows } = await sql<{ offset: number | string; key: string; value: unknown }>`
            SELECT "offset", key, value FROM bus_records
            WHERE topic = ${topic} AND partition = ${partition} AND "offset" >= ${fromOffset}
            ORDER BY "offset" LIMIT ${limit}`.execute(db);
          return rows.map((row) => ({ topic, partition, key: row.key, value: row.value, offset: Number(row.offset) }));
        },
        async acknowledge(partition) {
          const count = (commits.get(partition) ?? 0) + 1;
          commits.set(partition, count);
          if (count % TRIM_EVERY === 0) await trim(db, topic, partition);
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
async function trim(db: Db, topic: string, partition: number): Promise<void> {
  await sql`
    DELETE FROM bus_records
    WHERE topic = ${topic} AND partition = ${partition}
      AND "offset" < (SELECT min(committed_offset) FROM partition_leases
                      WHERE topic = ${topic} AND partition = ${partition})`.execute(db);
}
