import { sql } from 'kysely';
import { partitionFor } from '../../partitioning.ts';
import type { AppendCtes, RecordAppender } from './record-appender.ts';

/** Relays in other processes LISTEN here; writers NOTIFY in the statement that appends (delivered on commit). */
export const OUTBOX_CHANNEL = 'chat4all_outbox';

/**
 * Records go to the outbox table, which the relay publishes to the bus (Kafka) in order per partition. What a
 * statement writes to one partition of one topic is one row (a run of records), however many records it holds.
 */
export class OutboxAppender implements RecordAppender {
  readonly #partitions: number;
  readonly #wakeRelay: () => void;
  /** Whether relays in other processes share the database and must be told (a PostgreSQL server). */
  readonly #announce: boolean;

  constructor(options: { partitions: number; wakeRelay: () => void; announce: boolean }) {
    this.#partitions = options.partitions;
    this.#wakeRelay = options.wakeRelay;
    this.#announce = options.announce;
  }

  partitionOf(key: string): number {
    return partitionFor(key, this.#partitions);
  }

  append(source: string, prefix: string): AppendCtes {
    const appended = `${prefix}_outboxed`;
    const runs = sql.table(`${prefix}_runs`);
    const insert = sql`${runs} AS (
      SELECT partition, topic, array_agg(key ORDER BY position) AS keys, jsonb_agg(value ORDER BY position) AS vals,
             min(position) AS first
      FROM ${sql.table(source)} GROUP BY partition, topic
    ), ${sql.table(appended)} AS (
      INSERT INTO outbox (partition, topic, keys, vals)
      SELECT partition, topic, keys, vals FROM ${runs} ORDER BY first
      RETURNING 1)`;
    if (!this.#announce) return { ctes: insert };
    const announced = `${prefix}_announced`;
    const ctes = sql`${insert}, ${sql.table(announced)} AS (
      SELECT pg_notify(${OUTBOX_CHANNEL}, '') FROM (SELECT 1 FROM ${sql.table(appended)} LIMIT 1) AS any_row)`;
    return { ctes, mustRun: announced };
  }

  written(): void {
    this.#wakeRelay();
  }
}
