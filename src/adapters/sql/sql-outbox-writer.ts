import { sql, type Transaction } from 'kysely';
import type { BusRecord } from '../../ports/message-bus.ts';
import { partitionFor } from '../partitioning.ts';

/**
 * Appends records to the outbox inside the caller's transaction, so they commit with the state they announce.
 * `wake` tells a relay in this process to look at once; call it after the commit.
 */
export class SqlOutboxWriter {
  readonly #partitions: number;
  readonly #wake: () => void;

  constructor(partitions: number, wake: () => void) {
    this.#partitions = partitions;
    this.#wake = wake;
  }

  partitionOf(key: string): number {
    return partitionFor(key, this.#partitions);
  }

  async append(trx: Transaction<unknown>, records: readonly BusRecord[]): Promise<void> {
    if (records.length === 0) return;
    // In the order given (ids are handed out as rows are inserted), so a relay keeps it per partition.
    await sql`
      INSERT INTO outbox (partition, topic, key, value)
      SELECT partition, topic, key, value
      FROM unnest(${records.map((r) => this.partitionOf(r.key))}::int[], ${records.map((r) => r.topic)}::text[],
                  ${records.map((r) => r.key)}::text[], ${records.map((r) => JSON.stringify(r.value))}::jsonb[])
           WITH ORDINALITY AS r (partition, topic, key, value, position)
      ORDER BY position`.execute(trx);
  }

  wake(): void {
    this.#wake();
  }
}
