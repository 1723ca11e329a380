import { sql } from 'kysely';
import { partitionFor } from '../../partitioning.ts';
import type { AppendCtes, RecordAppender } from './record-appender.ts';

/**
 * Records go straight to the embedded bus's log (bus_records), in the writer's own transaction: with the bus in the
 * same database, that log is the outbox, and no relay copies records from one table to the other. What a statement
 * writes to one partition of a topic is one row (a run of records), however many records it holds. Offsets are
 * gap-free: the partition head's row stays locked until the commit, so they are handed out in commit order and a
 * reader never skips a record still being written. Heads are locked in (topic, partition) order, after everything
 * else the transaction locks, so writers never deadlock.
 */
export class BusAppender implements RecordAppender {
  readonly #partitions: number;
  readonly #wake: (topic: string) => void;

  constructor(options: { partitions: number; wake: (topic: string) => void }) {
    this.#partitions = options.partitions;
    this.#wake = options.wake;
  }

  partitionOf(key: string): number {
    return partitionFor(key, this.#partitions);
  }

  append(source: string, prefix: string): AppendCtes {
    const runs = sql.table(`${prefix}_runs`);
    const heads = sql.table(`${prefix}_heads`);
    const ctes = sql`${runs} AS (
      SELECT topic, partition, count(*)::bigint AS n, array_agg(key ORDER BY position) AS keys,
             jsonb_agg(value ORDER BY position) AS vals
      FROM ${sql.table(source)} GROUP BY topic, partition
    ), ${heads} AS (
      INSERT INTO bus_heads AS h (topic, partition, next_offset)
      SELECT topic, partition, n FROM ${runs} ORDER BY topic, partition
      ON CONFLICT (topic, partition) DO UPDATE SET next_offset = h.next_offset + excluded.next_offset
      RETURNING h.topic, h.partition, h.next_offset
    ), ${sql.table(`${prefix}_logged`)} AS (
      INSERT INTO bus_records (topic, partition, "offset", last_offset, keys, vals)
      SELECT r.topic, r.partition, h.next_offset - r.n, h.next_offset - 1, r.keys, r.vals
      FROM ${runs} r JOIN ${heads} h USING (topic, partition))`;
    return { ctes };
  }

  written(topics: Iterable<string>): void {
    for (const topic of new Set(topics)) this.#wake(topic);
  }
}
