import { sql } from 'kysely';
import type { Db } from './sql-database.ts';

/**
 * Consumer-group membership on a table: each partition of a topic is held by at most one member of a group
 * until its lease expires. Members take free or expired partitions with FOR UPDATE SKIP LOCKED, up to a
 * fair share of the live members, and hand back what exceeds it, so partitions spread across processes
 * and move to the survivors when one dies.
 */
export class PartitionLeases {
  readonly #db: Db;
  readonly #group: string;
  readonly #topic: string;
  readonly #partitions: number;
  readonly #holder: string;
  readonly #ttlMs: number;

  constructor(db: Db, options: { group: string; topic: string; partitions: number; holder: string; ttlMs: number }) {
    this.#db = db;
    this.#group = options.group;
    this.#topic = options.topic;
    this.#partitions = options.partitions;
    this.#holder = options.holder;
    this.#ttlMs = options.ttlMs;
  }

  async join(): Promise<void> {
    await sql`
      INSERT INTO partition_leases (consumer_group, topic, partition)
      SELECT ${this.#group}, ${this.#topic}, p FROM generate_series(0, ${this.#partitions - 1}) AS p
      ON CONFLICT DO NOTHING`.execute(this.#db);
  }

  /** Renews, takes and gives back leases; returns the partitions held now with their committed offsets. */
  async claim(): Promise<Map<number, number>> {
    const { rows: state } = await sql<{ partition: number; holder: string | null; live: boolean }>`
      SELECT partition, holder, holder IS NOT NULL AND expires_at > now() AS live
      FROM partition_leases WHERE consumer_group = ${this.#group} AND topic = ${this.#topic}`.execute(this.#db);
    const members = new Set(state.filter((row) => row.live).map((row) => row.holder));
    members.add(this.#holder);
    const share = Math.ceil(this.#partitions / members.size);
    const mine = state.filter((row) => row.live && row.holder === this.#holder).map((row) => row.partition).sort((a, b) => a - b);
    if (mine.length > share) {
      await sql`
        UPDATE partition_leases SET holder = NULL, expires_at = NULL
        WHERE consumer_group = ${this.#group} AND topic = ${this.#topic} AND holder = ${this.#holder}
          AND partition = ANY(${mine.slice(share)}::int[])`.execute(this.#db);
    } else if (mine.length < share) {
      await sql`
        UPDATE partition_leases SET holder = ${this.#holder}
        WHERE (consumer_group, topic, partition) IN (
          SELECT consumer_group, topic, partition FROM partition_leases
          WHERE consumer_group = ${this.#group} AND topic = ${this.#topic}
            AND (holder IS NULL OR expires_at IS NULL OR expires_at <= now())
          ORDER BY partition LIMIT ${share - mine.length}
          FOR UPDATE SKIP LOCKED)`.execute(this.#db);
    }
    const { rows } = await sql<{ partition: number; committed_offset: number | string }>`
      UPDATE partition_leases SET expires_at = now() + ${this.#ttlMs} * interval '1 millisecond'
      WHERE consumer_group = ${this.#group} AND topic = ${this.#topic} AND holder = ${this.#holder}
      RETURNING partition, committed_offset`.execute(this.#db);
    return new Map(rows.map((row) => [row.partition, Number(row.committed_offset)]));
  }

  /**
   * Records progress and renews the leases it moves, and any other lease of this member that is due (a third of
   * its time gone): renewing every held partition on every commit wrote one row per partition per batch, most of
   * the bus's rows at low rates. Returns the partitions still held, with their committed offsets (a partition lost
   * to another member is missing, and its work must stop).
   */
  async commit(offsets: ReadonlyMap<number, number>): Promise<Map<number, number>> {
    const ttl = sql`${this.#ttlMs} * interval '1 millisecond'`;
    const { rows } = await sql<{ partition: number; committed_offset: number | string }>`
      WITH mine AS (
        SELECT partition, committed_offset FROM partition_leases
        WHERE consumer_group = ${this.#group} AND topic = ${this.#topic} AND holder = ${this.#holder} AND expires_at > now()
      ), moved AS (
        UPDATE partition_leases l
        SET committed_offset = coalesce(
              (SELECT c.next_offset
               FROM unnest(${[...offsets.keys()]}::int[], ${[...offsets.values()]}::bigint[]) AS c (partition, next_offset)
               WHERE c.partition = l.partition),
              l.committed_offset),
            expires_at = now() + ${ttl}
        WHERE l.consumer_group = ${this.#group} AND l.topic = ${this.#topic} AND l.holder = ${this.#holder}
          AND (l.partition = ANY(${[...offsets.keys()]}::int[]) OR l.expires_at IS NULL OR l.expires_at < now() + ${ttl} * 2 / 3)
        RETURNING l.partition, l.committed_offset)
      SELECT partition, committed_offset FROM moved
      UNION ALL
      SELECT partition, committed_offset FROM mine WHERE partition NOT IN (SELECT partition FROM moved)`.execute(this.#db);
    return new Map(rows.map((row) => [row.partition, Number(row.committed_offset)]));
  }

  async releaseAll(): Promise<void> {
    await sql`
      UPDATE partition_leases SET holder = NULL, expires_at = NULL
      WHERE consumer_group = ${this.#group} AND topic = ${this.#topic} AND holder = ${this.#holder}`.execute(this.#db);
  }
}

/** At start-up of a process that owns its database alone, leases left by a killed run are void. */
export async function releaseStaleLeases(db: Db): Promise<void> {
  await sql`UPDATE partition_leases SET holder = NULL, expires_at = NULL WHERE holder IS NOT NULL`.execute(db);
}
