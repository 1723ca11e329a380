import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Claim, IdempotencyScope, IdempotencyStore, StoredResponse } from '../../ports/idempotency-store.ts';
import type { Db } from './sql-database.ts';

export class SqlIdempotencyStore implements IdempotencyStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async claim(scope: IdempotencyScope, fingerprint: string, times: { ttlMs: number; abandonedAfterMs: number }): Promise<Claim | undefined> {
    const claimId = randomUUID();
    // The primary key decides between racing requests, in any process: the loser inserts nothing and reads the row.
    const { rows: claimed } = await sql`
      INSERT INTO idempotency_keys (principal, operation, key, fingerprint, claim_id, expires_at)
      VALUES (${scope.principal}, ${scope.operation}, ${scope.key}, ${fingerprint}, ${claimId},
              now() + ${times.ttlMs} * interval '1 millisecond')
      ON CONFLICT (principal, operation, key) DO UPDATE
        SET fingerprint = excluded.fingerprint, claim_id = excluded.claim_id, claimed_at = now(),
            status = NULL, body = NULL, expires_at = excluded.expires_at
        WHERE idempotency_keys.expires_at <= now()
           OR (idempotency_keys.status IS NULL AND idempotency_keys.claimed_at <= now() - ${times.abandonedAfterMs} * interval '1 millisecond')
      RETURNING 1`.execute(this.#db);
    if (claimed.length > 0) return { kind: 'claimed', claimId };
    const { rows } = await sql<{ fingerprint: string; status: number | null; body: unknown }>`
      SELECT fingerprint, status, body FROM idempotency_keys
      WHERE principal = ${scope.principal} AND operation = ${scope.operation} AND key = ${scope.key}`.execute(this.#db);
    const row = rows[0];
    if (!row) return undefined;
    return { kind: 'held', fingerprint: row.fingerprint, response: row.status === null ? undefined : { status: row.status, body: row.body } };
  }

  async complete(scope: IdempotencyScope, claimId: string, response: StoredResponse): Promise<void> {
    await sql`
      UPDATE idempotency_keys SET status = ${response.status}, body = ${JSON.stringify(response.body)}::jsonb
      WHERE principal = ${scope.principal} AND operation = ${scope.operation} AND key = ${scope.key} AND claim_id = ${claimId}`.execute(this.#db);
  }

  async release(scope: IdempotencyScope, claimId: string): Promise<void> {
    await sql`
      DELETE FROM idempotency_keys
      WHERE principal = ${scope.principal} AND operation = ${scope.operation} AND key = ${scope.key} AND claim_id = ${claimId}`.execute(this.#db);
  }

  async deleteExpired(limit: number): Promise<number> {
    const result = await sql`
      DELETE FROM idempotency_keys WHERE (principal, operation, key) IN (
        SELECT principal, operation, key FROM idempotency_keys WHERE expires_at <= now() LIMIT ${limit})`.execute(this.#db);
    return Number(result.numAffectedRows ?? 0);
  }
}
