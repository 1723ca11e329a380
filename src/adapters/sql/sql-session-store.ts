import { sql } from 'kysely';
import type { Scope } from '../../domain/scopes.ts';
import type { NewSession, PresentedRefreshToken, RevokedSession, RotationPlan, SessionStore } from '../../ports/session-store.ts';
import { endSessions } from './ended-sessions.ts';
import type { Db } from './sql-database.ts';

interface PresentedRow {
  session_id: string;
  expires_at: Date;
  spent_at: Date | null;
  revoked_at: Date | null;
  user_id: string | null;
  username: string | null;
  user_active: boolean | null;
  client_id: string | null;
  scopes: Scope[];
}

export class SqlSessionStore implements SessionStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  open(session: NewSession): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      // FOR SHARE: a disable (an UPDATE of the row) waits for this session to commit and then ends it too, or
      // commits first and this finds the account inactive.
      if (session.userId !== undefined) {
        const { rows } = await sql`SELECT 1 FROM users WHERE id = ${session.userId} AND is_active FOR SHARE`.execute(trx);
        if (rows.length === 0) return false;
      }
      if (session.clientId !== undefined) {
        const { rows } = await sql`SELECT 1 FROM oauth_clients WHERE id = ${session.clientId} AND is_active FOR SHARE`.execute(trx);
        if (rows.length === 0) return false;
      }
      await sql`
        INSERT INTO auth_sessions (id, user_id, client_id, scopes, access_expires_at)
        VALUES (${session.sessionId}, ${session.userId ?? null}, ${session.clientId ?? null}, ${[...session.scopes]}::text[],
                ${session.accessExpiresAt.toISOString()})`.execute(trx);
      if (session.refresh) {
        await sql`
          INSERT INTO refresh_tokens (token_hash, session_id, expires_at)
          VALUES (${session.refresh.tokenHash}, ${session.sessionId}, ${session.refresh.expiresAt.toISOString()})`.execute(trx);
      }
      return true;
    });
  }

  rotate(tokenHash: string, decide: (found: PresentedRefreshToken | undefined) => RotationPlan): Promise<RevokedSession[]> {
    return this.#db.transaction().execute(async (trx) => {
      const { rows } = await sql<PresentedRow>`
        SELECT r.session_id, r.expires_at, r.spent_at, s.revoked_at, s.user_id, u.username, u.is_active AS user_active,
               s.client_id, s.scopes
        FROM refresh_tokens r JOIN auth_sessions s ON s.id = r.session_id LEFT JOIN users u ON u.id = s.user_id
        WHERE r.token_hash = ${tokenHash}
        FOR UPDATE OF r, s`.execute(trx);
      const row = rows[0];
      const plan = decide(row && presented(row));
      if (!row || plan.kind === 'nothing') return [];
      if (plan.kind === 'end-session') return endSessions(trx, sql`id = ${row.session_id}`);
      await sql`UPDATE refresh_tokens SET spent_at = now() WHERE token_hash = ${tokenHash}`.execute(trx);
      await sql`
        INSERT INTO refresh_tokens (token_hash, session_id, expires_at)
        VALUES (${plan.next.tokenHash}, ${row.session_id}, ${plan.next.expiresAt.toISOString()})`.execute(trx);
      await sql`
        UPDATE auth_sessions SET access_expires_at = greatest(access_expires_at, ${plan.accessExpiresAt.toISOString()}::timestamptz)
        WHERE id = ${row.session_id}`.execute(trx);
      return [];
    });
  }

  async sessionOf(tokenHash: string): Promise<string | undefined> {
    const { rows } = await sql<{ session_id: string }>`SELECT session_id FROM refresh_tokens WHERE token_hash = ${tokenHash}`.execute(this.#db);
    return rows[0]?.session_id;
  }

  end(sessionIds: readonly string[]): Promise<RevokedSession[]> {
    if (sessionIds.length === 0) return Promise.resolve([]);
    return this.#db.transaction().execute((trx) => endSessions(trx, sql`id = ANY(${[...sessionIds]}::uuid[])`));
  }

  async endedAfter(cursor: number, limit: number): Promise<{ sessions: RevokedSession[]; cursor: number }> {
    const { rows } = await sql<{ seq: string | number; session_id: string; expires_at: Date }>`
      SELECT seq, session_id, expires_at FROM revocations WHERE seq > ${cursor} ORDER BY seq LIMIT ${limit}`.execute(this.#db);
    const last = rows.at(-1);
    return {
      sessions: rows.map((row) => ({ sessionId: row.session_id, expiresAt: new Date(row.expires_at) })),
      cursor: last ? Number(last.seq) : cursor,
    };
  }

  async prune(now: Date): Promise<void> {
    const at = now.toISOString();
    await sql`DELETE FROM revocations WHERE expires_at < ${at}::timestamptz`.execute(this.#db);
    await sql`DELETE FROM refresh_tokens WHERE expires_at < ${at}::timestamptz`.execute(this.#db);
    await sql`
      DELETE FROM auth_sessions s WHERE access_expires_at < ${at}::timestamptz
        AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.session_id = s.id)`.execute(this.#db);
  }
}

function presented(row: PresentedRow): PresentedRefreshToken {
  return {
    sessionId: row.session_id,
    userId: row.user_id ?? undefined,
    username: row.username ?? undefined,
    clientId: row.client_id ?? undefined,
    scopes: row.scopes,
    spent: row.spent_at !== null,
    expiresAt: new Date(row.expires_at),
    sessionRevoked: row.revoked_at !== null,
    // A session of a client acting as nobody has no user to be disabled.
    userActive: row.user_active ?? true,
  };
}
