import { sql, type Transaction } from 'kysely';
import type { BusRecord } from '../../ports/message-bus.ts';
import { partitionFor } from '../partitioning.ts';

/** Relays in other processes LISTEN here; writers NOTIFY in the statement that appends (delivered on commit). */
export const OUTBOX_CHANNEL = 'chat4all_outbox';

/** `NOTIFY` the relays once if `cte` (a data-modifying CTE) wrote a row; to select from, so the statement runs it. */
export const announceIfAny = (cte: string) =>
  sql`SELECT pg_notify(${OUTBOX_CHANNEL}, '') FROM (SELECT 1 FROM ${sql.table(cte)} LIMIT 1) AS any_row`;

/**
 * Appends records to the outbox inside the caller's transaction, so they commit with the state they announce.
 * `wake` tells a relay in this process to look at once; call it after the commit. With `announce`, relays in
 * other processes are told too (a shared database server).
 */
export class SqlOutboxWriter {
  readonly #partitions: number;
  readonly #wake: () => void;
  readonly #announce: boolean;

  constructor(partitions: number, wake: () => void, announce: boolean) {
    this.#partitions = partitions;
    this.#wake = wake;
    this.#announce = announce;
  }

  partitionOf(key: string): number {
    return partitionFor(key, this.#partitions);
  }

  async append(trx: Transaction<unknown>, records: readonly BusRecord[]): Promise<void> {
    if (records.length === 0) return;
    // In the order given (ids are handed out as rows are inserted), so a relay keeps it per partition.
    const insert = sql`
      INSERT INTO outbox (partition, topic, key, value)
      SELECT partition, topic, key, value
      FROM unnest(${records.map((r) => this.partitionOf(r.key))}::int[], ${records.map((r) => r.topic)}::text[],
                  ${records.map((r) => r.key)}::text[], ${records.map((r) => JSON.stringify(r.value))}::jsonb[])
           WITH ORDINALITY AS r (partition, topic, key, value, position)
      ORDER BY position`;
    await (this.#announce ? sql`WITH appended AS (${insert} RETURNING 1) ${announceIfAny('appended')}` : insert).execute(trx);
  }

  wake(): void {
    this.#wake();
  }
}
