import { sql, type QueryExecutorProvider, type RawBuilder } from 'kysely';
import { jsonOf, type BusRecord } from '../../../ports/message-bus.ts';

/**
 * Where a transaction's bus records go, as CTEs of the statement that writes what they announce, so both commit
 * together: the outbox table (a relay publishes it to Kafka), or, when the bus itself lives in the database, the
 * bus's own log (nothing to relay). Records come from a CTE with columns (partition, topic, key, value, position).
 */
export interface RecordAppender {
  /** The partition a key's records go to. */
  partitionOf(key: string): number;
  /** CTEs (for a WITH list, comma-separated) appending the records of the CTE named `source`, in `position` order. */
  append(source: string, prefix: string): AppendCtes;
  /** Tells this process's readers (relay or consumers) that these topics grew; call after the commit. */
  written(topics: Iterable<string>): void;
}

export interface AppendCtes {
  ctes: RawBuilder<unknown>;
  /** A CTE that only runs when the statement reads it (PostgreSQL skips unread SELECT CTEs): read it, e.g. with mustRun. */
  mustRun?: string;
}

/** An expression that makes the statement run the CTE `name` (a scalar subquery, evaluated once). */
export const mustRun = (name: string) => sql`(SELECT count(*) FROM ${sql.table(name)})`;

/** A CTE `name` holding `records` (for RecordAppender.append), one row each in the order given. */
export function recordsCte(name: string, records: readonly BusRecord[], appender: RecordAppender): RawBuilder<unknown> {
  return sql`${sql.table(name)} AS (
    SELECT * FROM unnest(${records.map((r) => appender.partitionOf(r.key))}::int[], ${records.map((r) => r.topic)}::text[],
                         ${records.map((r) => r.key)}::text[], ${records.map((r) => jsonOf(r.value))}::jsonb[])
      WITH ORDINALITY AS r (partition, topic, key, value, position))`;
}

/**
 * Appends `records` in one statement on `db`: a transaction's, to commit them with the state they announce. Tell the
 * appender (written) once it committed.
 */
export async function appendRecords(db: QueryExecutorProvider, records: readonly BusRecord[], appender: RecordAppender): Promise<void> {
  const appended = appender.append('records', 'records');
  await sql`WITH ${recordsCte('records', records, appender)}, ${appended.ctes}
            SELECT ${appended.mustRun ? mustRun(appended.mustRun) : sql`1`}`.execute(db);
}
