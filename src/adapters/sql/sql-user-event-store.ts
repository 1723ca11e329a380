import { sql } from 'kysely';
import type { HubEventType } from '../../domain/hub-events.ts';
import type { FeedListener, UserEvent, UserEventEntry, UserEventStore } from '../../ports/user-event-store.ts';
import type { Db, SqlDatabase } from './sql-database.ts';
import { announceQueued, queueWebhookDeliveries } from './sql-webhook-queue.ts';

/** The notification channel on which appends name the users whose feeds grew. */
const FEED_CHANNEL = 'chat4all_user_feeds';
/** NOTIFY payloads stay under PostgreSQL's 8,000-byte limit: 36-character ids and a comma each. */
const IDS_PER_NOTIFY = 200;

export class SqlUserEventStore implements UserEventStore {
  readonly #database: SqlDatabase;
  readonly #db: Db;

  constructor(database: SqlDatabase) {
    this.#database = database;
    this.#db = database.db;
  }

  /**
   * Ids come from each user's head row, locked (in user order, so two appenders never deadlock) until commit:
   * a user's events become visible in id order, so a reader that saw id n never misses an id below it later.
   * Three statements: create-or-lock the heads; read which entries exist (a snapshot taken once the locks are
   * held, so it sees what an appender that held them before us committed); write the rest, their webhook
   * deliveries, the heads and the notifications.
   */
  async append(entries: readonly UserEventEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const users = [...new Set(entries.map((entry) => entry.userId))].sort();
    await this.#db.transaction().execute(async (trx) => {
      // DO UPDATE (to the same value) locks an existing head as FOR UPDATE would, and returns its latest version.
      const heads = await sql<{ user_id: string; last_event_id: number | string }>`
        INSERT INTO user_event_heads AS h (user_id, last_event_id) SELECT id, 0 FROM unnest(${users}::uuid[]) AS u (id)
        ORDER BY id ON CONFLICT (user_id) DO UPDATE SET last_event_id = h.last_event_id
        RETURNING user_id, last_event_id`.execute(trx);
      const known = await sql<{ user_id: string; event_key: string }>`
        SELECT user_id, event_key FROM user_events
        WHERE (user_id, event_key) IN (
          SELECT * FROM unnest(${entries.map((e) => e.userId)}::uuid[], ${entries.map((e) => e.key)}::text[]))`.execute(trx);
      const seen = new Set(known.rows.map((row) => `${row.user_id} ${row.event_key}`));
      const next = new Map(heads.rows.map((row) => [row.user_id, Number(row.last_event_id)]));
      const fresh: Array<UserEventEntry & { eventId: number }> = [];
      for (const entry of entries) {
        const id = `${entry.userId} ${entry.key}`;
        if (seen.has(id)) continue;
        seen.add(id);
        const eventId = next.get(entry.userId)! + 1;
        next.set(entry.userId, eventId);
        fresh.push({ ...entry, eventId });
      }
      if (fresh.length === 0) return;
      const grown = [...new Set(fresh.map((entry) => entry.userId))];
      // Delivered after the commit, to every process listening.
      const notices: string[] = [];
      for (let i = 0; i < grown.length; i += IDS_PER_NOTIFY) notices.push(grown.slice(i, i + IDS_PER_NOTIFY).join(','));
      await sql`
        WITH appended AS (
          INSERT INTO user_events (user_id, event_id, event_key, type, data, occurred_at)
          SELECT * FROM unnest(${fresh.map((e) => e.userId)}::uuid[], ${fresh.map((e) => e.eventId)}::bigint[],
                               ${fresh.map((e) => e.key)}::text[], ${fresh.map((e) => e.type)}::text[],
                               ${fresh.map((e) => JSON.stringify(e.data))}::jsonb[],
                               ${fresh.map((e) => e.occurredAt.toISOString())}::timestamptz[])
          RETURNING user_id, event_id, type, data, occurred_at
        ), queued AS (${queueWebhookDeliveries('appended')}
        ), heads AS (
          UPDATE user_event_heads h SET last_event_id = n.last
          FROM unnest(${grown}::uuid[], ${grown.map((user) => next.get(user)!)}::bigint[]) AS n (user_id, last)
          WHERE h.user_id = n.user_id
        )
        SELECT pg_notify(${FEED_CHANNEL}, notice) FROM unnest(${notices}::text[]) AS notice
        UNION ALL ${announceQueued('queued')}`.execute(trx);
    });
  }

  async read(userId: string, afterEventId: number, limit: number): Promise<UserEvent[]> {
    const { rows } = await sql<{ event_id: number | string; type: HubEventType; occurred_at: Date | string; data: unknown }>`
      SELECT event_id, type, occurred_at, data FROM user_events
      WHERE user_id = ${userId} AND event_id > ${afterEventId} ORDER BY event_id LIMIT ${limit}`.execute(this.#db);
    return rows.map((row) => ({ eventId: Number(row.event_id), type: row.type, occurredAt: new Date(row.occurred_at), data: row.data }));
  }

  async head(userId: string): Promise<number> {
    const { rows } = await sql<{ last_event_id: number | string }>`
      SELECT last_event_id FROM user_event_heads WHERE user_id = ${userId}`.execute(this.#db);
    return Number(rows[0]?.last_event_id ?? 0);
  }

  listen(listener: FeedListener): Promise<() => Promise<void>> {
    return this.#database.listen(FEED_CHANNEL, (payload) => listener(payload === null ? null : payload.split(',')));
  }

  async prune(before: Date): Promise<number> {
    const result = await sql`DELETE FROM user_events WHERE created_at < ${before.toISOString()}::timestamptz`.execute(this.#db);
    return Number(result.numAffectedRows ?? 0);
  }
}
