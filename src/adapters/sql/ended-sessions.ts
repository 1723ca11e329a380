import { sql, type RawBuilder } from 'kysely';
import type { RevokedSession } from '../../ports/session-store.ts';
import type { Db } from './sql-database.ts';

/**
 * Ends the live sessions `which` selects (a condition on auth_sessions) and appends them to the revocation log, in
 * the caller's transaction. API processes follow the log by `seq`, so its rows must commit in `seq` order: the
 * exclusive lock on it is taken after the session rows, as the last lock of the transaction (no deadlock with
 * another writer, which takes its row locks first too), and held until commit. Readers are not blocked.
 */
export async function endSessions(trx: Db, which: RawBuilder<unknown>): Promise<RevokedSession[]> {
  const { rows } = await sql<{ id: string; access_expires_at: Date }>`
    UPDATE auth_sessions SET revoked_at = now() WHERE revoked_at IS NULL AND ${which}
    RETURNING id, access_expires_at`.execute(trx);
  if (rows.length === 0) return [];
  await sql`LOCK TABLE revocations IN EXCLUSIVE MODE`.execute(trx);
  const ended = rows.map((row) => ({ sessionId: row.id, expiresAt: new Date(row.access_expires_at) }));
  await sql`
    INSERT INTO revocations (session_id, expires_at)
    SELECT * FROM unnest(${ended.map((session) => session.sessionId)}::uuid[], ${ended.map((session) => session.expiresAt.toISOString())}::timestamptz[])`.execute(trx);
  return ended;
}
