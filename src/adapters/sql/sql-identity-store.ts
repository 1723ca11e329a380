import { sql, type Transaction } from 'kysely';
import type { IdentityClaim } from '../../domain/identity-claims.ts';
import type { ChannelIdentity, ClaimDecision, ClaimScene, IdentityStore, SettleDecision, SettleScene } from '../../ports/identity-store.ts';
import type { Db } from './sql-database.ts';
import { isUniqueViolation } from './sql-errors.ts';
import { appendRecords, type RecordAppender } from './records/record-appender.ts';

interface IdentityRow {
  channel: string;
  address: string;
  user_id: string;
  created_at: Date | string;
}

interface ClaimRow {
  user_id: string;
  channel: string;
  address: string;
  code_hash: string;
  attempts_left: number;
  sent_at: Date | string;
  expires_at: Date | string;
}

const toIdentity = (row: IdentityRow): ChannelIdentity => ({
  channel: row.channel,
  address: row.address,
  userId: row.user_id,
  createdAt: new Date(row.created_at),
});

const toClaim = (row: ClaimRow): IdentityClaim => ({
  userId: row.user_id,
  channel: row.channel,
  address: row.address,
  codeHash: row.code_hash,
  attemptsLeft: row.attempts_left,
  sentAt: new Date(row.sent_at),
  expiresAt: new Date(row.expires_at),
});

/** Tries of a settle whose link lost a race to another user's: the next one sees that user as the owner. */
const SETTLE_TRIES = 3;

export class SqlIdentityStore implements IdentityStore {
  readonly #db: Db;
  readonly #appender: RecordAppender;

  constructor(db: Db, appender: RecordAppender) {
    this.#db = db;
    this.#appender = appender;
  }

  /** The claimant's row is locked (not against the key share that references take), so their claims go in turn. */
  async claim<T>(userId: string, channel: string, address: string, decide: (scene: ClaimScene) => ClaimDecision<T>): Promise<T> {
    const { result, open } = await this.#db.transaction().execute(async (trx) => {
      await sql`SELECT 1 FROM users WHERE id = ${userId} FOR NO KEY UPDATE`.execute(trx);
      const { rows: linked } = await sql<IdentityRow>`
        SELECT channel, address, user_id, created_at FROM channel_identities
        WHERE channel = ${channel} AND address = ${address}`.execute(trx);
      const { rows: previous } = await sql<ClaimRow>`
        SELECT * FROM identity_claims WHERE user_id = ${userId} AND channel = ${channel}`.execute(trx);
      const decision = decide({ linked: linked[0] && toIdentity(linked[0]), previous: previous[0] && toClaim(previous[0]) });
      if (decision.open) {
        const { claim, record } = decision.open;
        await sql`
          INSERT INTO identity_claims (user_id, channel, address, code_hash, attempts_left, sent_at, expires_at)
          VALUES (${claim.userId}, ${claim.channel}, ${claim.address}, ${claim.codeHash}, ${claim.attemptsLeft}, ${claim.sentAt}, ${claim.expiresAt})
          ON CONFLICT (user_id, channel) DO UPDATE SET address = EXCLUDED.address, code_hash = EXCLUDED.code_hash,
            attempts_left = EXCLUDED.attempts_left, sent_at = EXCLUDED.sent_at, expires_at = EXCLUDED.expires_at`.execute(trx);
        await appendRecords(trx, [record], this.#appender);
      }
      return decision;
    });
    if (open) this.#appender.written([open.record.topic]);
    return result;
  }

  async settle<T>(userId: string, channel: string, decide: (scene: SettleScene | undefined) => SettleDecision<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#db.transaction().execute((trx) => this.#settleOnce(trx, userId, channel, decide));
      } catch (error) {
        // Another user's link of the same address committed first: settling again finds them its owner.
        if (!isUniqueViolation(error) || attempt >= SETTLE_TRIES) throw error;
      }
    }
  }

  async #settleOnce<T>(
    trx: Transaction<unknown>,
    userId: string,
    channel: string,
    decide: (scene: SettleScene | undefined) => SettleDecision<T>,
  ): Promise<T> {
    const { rows } = await sql<ClaimRow>`
      SELECT * FROM identity_claims WHERE user_id = ${userId} AND channel = ${channel} FOR UPDATE`.execute(trx);
    const claim = rows[0] && toClaim(rows[0]);
    let scene: SettleScene | undefined;
    if (claim) {
      const { rows: owners } = await sql<{ user_id: string }>`
        SELECT user_id FROM channel_identities WHERE channel = ${channel} AND address = ${claim.address}`.execute(trx);
      scene = { claim, owner: owners[0]?.user_id };
    }
    const { result, write } = decide(scene);
    if (!claim || !write) return result;
    await sql`UPDATE identity_claims SET attempts_left = ${write.attemptsLeft} WHERE user_id = ${userId} AND channel = ${channel}`.execute(trx);
    if (write.link) {
      await sql`DELETE FROM channel_identities WHERE user_id = ${userId} AND channel = ${channel}`.execute(trx);
      await sql`INSERT INTO channel_identities (channel, address, user_id) VALUES (${channel}, ${claim.address}, ${userId})`.execute(trx);
    }
    return result;
  }

  async claimsOf(userId: string): Promise<IdentityClaim[]> {
    const { rows } = await sql<ClaimRow>`SELECT * FROM identity_claims WHERE user_id = ${userId} ORDER BY channel`.execute(this.#db);
    return rows.map(toClaim);
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
