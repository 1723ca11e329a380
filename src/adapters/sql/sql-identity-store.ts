import { sql } from 'kysely';
import type { ChannelIdentity, IdentityStore, LinkOutcome } from '../../ports/identity-store.ts';
import type { Db } from './sql-database.ts';
import { isUniqueViolation } from './sql-errors.ts';

interface IdentityRow {
  channel: string;
  address: string;
  user_id: string;
  created_at: Date | string;
}

const toIdentity = (row: IdentityRow): ChannelIdentity => ({
  channel: row.channel,
  address: row.address,
  userId: row.user_id,
  createdAt: new Date(row.created_at),
});

export class SqlIdentityStore implements IdentityStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async link(userId: string, channel: string, address: string): Promise<LinkOutcome> {
    return this.#db.transaction().execute(async (trx) => {
      const owner = await sql<{ user_id: string }>`
        SELECT user_id FROM channel_identities WHERE channel = ${channel} AND address = ${address} FOR UPDATE`.execute(trx);
      if (owner.rows[0] && owner.rows[0].user_id !== userId) return { kind: 'address_taken' } as const;
      const replaced = await sql`
        DELETE FROM channel_identities WHERE user_id = ${userId} AND channel = ${channel} AND address <> ${address}`.execute(trx);
      const { rows } = await sql<IdentityRow>`
        INSERT INTO channel_identities (channel, address, user_id) VALUES (${channel}, ${address}, ${userId})
        ON CONFLICT (channel, address) DO UPDATE SET user_id = EXCLUDED.user_id
        RETURNING channel, address, user_id, created_at`.execute(trx);
      return { kind: 'linked', identity: toIdentity(rows[0]!), replaced: Number(replaced.numAffectedRows ?? 0) > 0 } as const;
    }).catch((error: unknown) => {
      // Two users racing for one address: the loser sees the unique violation.
      if (isUniqueViolation(error)) return { kind: 'address_taken' } as const;
      throw error;
    });
  }

  async list(userId: string): Promise<ChannelIdentity[]> {
    const { rows } = await sql<IdentityRow>`
      SELECT channel, address, user_id, created_at FROM channel_identities WHERE user_id = ${userId} ORDER BY channel`.execute(this.#db);
    return rows.map(toIdentity);
  }

  async unlink(userId: string, channel: string): Promise<boolean> {
    const result = await sql`DELETE FROM channel_identities WHERE user_id = ${userId} AND channel = ${channel}`.execute(this.#db);
    return Number(result.numAffectedRows ?? 0) > 0;
  }

  async ownerOf(channel: string, address: string): Promise<string | undefined> {
    const { rows } = await sql<{ user_id: string }>`
      SELECT user_id FROM channel_identities WHERE channel = ${channel} AND address = ${address}`.execute(this.#db);
    return rows[0]?.user_id;
  }

  async addressesOn(channel: string, userIds: readonly string[]): Promise<Map<string, string>> {
    const { rows } = await sql<{ user_id: string; address: string }>`
      SELECT user_id, address FROM channel_identities
      WHERE channel = ${channel} AND user_id = ANY(${[...userIds]}::uuid[])`.execute(this.#db);
    return new Map(rows.map((row) => [row.user_id, row.address]));
  }

  async channelsOf(userIds: readonly string[]): Promise<Map<string, string[]>> {
    const { rows } = await sql<{ user_id: string; channel: string }>`
      SELECT user_id, channel FROM channel_identities WHERE user_id = ANY(${[...userIds]}::uuid[]) ORDER BY channel`.execute(this.#db);
    const channels = new Map<string, string[]>();
    for (const row of rows) channels.set(row.user_id, [...(channels.get(row.user_id) ?? []), row.channel]);
    return channels;
  }
}
