import { sql } from 'kysely';
import type { Logger } from '../../ports/logger.ts';
import { JsonText, type BusRecord, type Subscription } from '../../ports/message-bus.ts';
import type { Outbox } from '../../ports/outbox.ts';
import type { Wakeup } from '../wakeup.ts';
import { PartitionLeases } from './partition-leases.ts';
import { startPartitionLoop, type LoopSettings } from './partition-loop.ts';
import type { Db, SqlDatabase } from './sql-database.ts';
import { OUTBOX_CHANNEL } from './records/outbox-appender.ts';
import { appendRecords, type RecordAppender } from './records/record-appender.ts';

export interface SqlOutboxOptions extends LoopSettings {
  partitions: number;
  /** Where append() writes (the outbox table, or the bus's log when the bus is in the database). */
  appender: RecordAppender;
  wakeup: Wakeup;
  log: Logger;
}

type OutboxRecord = BusRecord & { partition: number; offset: number };

const RELAY_GROUP = 'relay';
const OUTBOX_TOPIC = 'outbox';

/**
 * Relays hold outbox partitions like a consumer group, so several relays keep per-partition order.
 * A relayed record is deleted, so reading needs no offsets: what is left is what is still to send, and deleting
 * is the acknowledgement (no offset to commit). Writers wake the relay: in this process directly, from other
 * processes by a notification, so an idle relay hardly polls.
 */
export class SqlOutbox implements Outbox {
  readonly #database: SqlDatabase;
  readonly #db: Db;
  readonly #options: SqlOutboxOptions;

  constructor(database: SqlDatabase, options: SqlOutboxOptions) {
    this.#database = database;
    this.#db = database.db;
    this.#options = options;
  }

  async append(records: readonly BusRecord[]): Promise<void> {
    if (records.length === 0) return;
    const { appender } = this.#options;
    await appendRecords(this.#db, records, appender);
    appender.written(records.map((record) => record.topic));
  }

  drain(handler: (records: BusRecord[]) => Promise<void>): Subscription {
    const db = this.#db;
    const { partitions, holder, leaseTtlMs } = this.#options;
    return startPartitionLoop<OutboxRecord>({
      ...this.#options,
      leases: new PartitionLeases(db, { group: RELAY_GROUP, topic: OUTBOX_TOPIC, partitions, holder, ttlMs: leaseTtlMs }),
      wokenByWriters: true,
      ...(this.#database.exclusive ? {} : { listen: (wake: () => void) => this.#database.listen(OUTBOX_CHANNEL, wake) }),
      commitsOffsets: false,
      batchSize: 500,
      handler: (records) => handler(records.map(({ topic, key, value }) => ({ topic, key, value }))),
      source: {
        async read(held, limit) {
          // A record per row of the result, its value as text: the relay passes the JSON on without parsing it.
          const { rows } = await sql<{ id: number | string; partition: number; topic: string; key: string; value: string }>`
            SELECT o.id, o.partition, o.topic, o.keys[v.i] AS key, v.value::text AS value
            FROM (SELECT * FROM outbox WHERE partition = ANY(${[...held.keys()]}::int[]) ORDER BY id LIMIT ${limit}) AS o
            CROSS JOIN LATERAL jsonb_array_elements(o.vals) WITH ORDINALITY AS v (value, i)
            ORDER BY o.id, v.i`.execute(db);
          return rows.map((row) => ({ ...row, value: new JsonText(row.value), offset: Number(row.id) }));
        },
        async acknowledge(records) {
          await sql`DELETE FROM outbox WHERE id = ANY(${[...new Set(records.map((r) => r.offset))]}::bigint[])`.execute(db);
        },
      },
    });
  }
}
