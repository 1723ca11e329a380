import { sql } from 'kysely';
import type { HubEvent, HubEventType } from '../../domain/hub-events.ts';
import type { FeedCursor, FeedListener, UserEvent, UserEventStore } from '../../ports/user-event-store.ts';
import type { Db, SqlDatabase } from './sql-database.ts';
import { announceQueued, queueWebhookDeliveries } from './sql-webhook-queue.ts';

/** The notification channel on which appends name the users whose feeds grew. */
const FEED_CHANNEL = 'chat4all_user_feeds';
/** Conversations whose members a notifier keeps (a few MB at 100 members each). */
const MEMBERS_CACHED = 10_000;
/** NOTIFY payloads stay under PostgreSQL's 8,000-byte limit: 36-character ids and a comma each. */
const IDS_PER_NOTIFY = 200;

interface EventRow {
  event_id: number | string;
  type: HubEventType;
  occurred_at: Date | string;
  data: unknown;
}

const toUserEvent = (row: EventRow): UserEvent => ({
  eventId: Number(row.event_id),
  type: row.type,
  occurredAt: new Date(row.occurred_at),
  data: row.data,
});

/**
 * Events are stored once (conversation_events); a user's feed is a run of pages (user_feed_pages), one per append
 * that concerned them, each listing the events it gives the user's next ids. So an event to a 100-member group is
 * one row plus one small page per member and append, and an append of many events to the same users costs a page
 * each, not a row per event and user.
 *
 * A user's ids are handed out under an advisory lock of theirs, held until commit (taken in user order, so two
 * appenders never deadlock): their pages become visible in id order, and a reader that saw id n never misses an
 * id below it later.
 */
export class SqlUserEventStore implements UserEventStore {
  readonly #database: SqlDatabase;
  readonly #db: Db;
  readonly #membersOf = new Map<string, string[]>();

  constructor(database: SqlDatabase) {
    this.#database = database;
    this.#db = database.db;
  }

  /**
   * Members of the conversations of `ids` this database has. A conversation's members never change once it is
   * created, so they are kept (the most recently used, up to MEMBERS_CACHED conversations).
   */
  async #members(ids: readonly string[]): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>();
    for (const id of ids) {
      const members = this.#membersOf.get(id);
      if (!members) continue;
      this.#membersOf.delete(id);
      this.#membersOf.set(id, members);
      found.set(id, members);
    }
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length === 0) return found;
    const { rows } = await sql<{ id: string; members: string[] }>`
      SELECT c.id, ARRAY(SELECT m.user_id::text FROM conversation_members m WHERE m.conversation_id = c.id ORDER BY m.position) AS members
      FROM conversations c WHERE c.id = ANY(${missing}::uuid[])`.execute(this.#db);
    for (const { id, members } of rows) {
      found.set(id, members);
      this.#membersOf.set(id, members);
      if (this.#membersOf.size > MEMBERS_CACHED) this.#membersOf.delete(this.#membersOf.keys().next().value!);
    }
    return found;
  }

  async append(events: readonly HubEvent[]): Promise<string[]> {
    if (events.length === 0) return [];
    const conversationIds = [...new Set(events.map((event) => event.conversation_id))];
    const members = await this.#members(conversationIds);
    return this.#db.transaction().execute(async (trx) => {
      // A fact seen twice in one batch (a record read again alongside its first reading) is appended once.
      const known = [...new Map(events.filter((e) => members.has(e.conversation_id)).map((e) => [e.key, e])).values()];
      const unknown = conversationIds.filter((id) => !members.has(id));
      if (known.length === 0) return unknown;
      const audienceOf = (event: HubEvent) => (event.audience === 'members' ? members.get(event.conversation_id)! : event.audience);
      const users = [...new Set(known.flatMap(audienceOf))].sort();
      await sql`
        SELECT pg_advisory_xact_lock(hashtextextended(u, 0))
        FROM (SELECT u FROM unnest(${users}::text[]) AS u ORDER BY u) AS sorted`.execute(trx);
      // After the locks, so it sees the pages of every appender that held them before us.
      const { rows } = await sql<{ kind: 'event' | 'head'; id: string; value: number | string | null }>`
        WITH stored AS (
          INSERT INTO conversation_events (event_key, conversation_id, type, data, occurred_at)
          SELECT key, conversation_id, type, data, occurred_at
          FROM unnest(${known.map((e) => e.key)}::text[], ${known.map((e) => e.conversation_id)}::uuid[],
                      ${known.map((e) => e.type)}::text[], ${known.map((e) => JSON.stringify(e.data))}::jsonb[],
                      ${known.map((e) => e.occurred_at)}::timestamptz[])
               WITH ORDINALITY AS e (key, conversation_id, type, data, occurred_at, position)
          ORDER BY position
          ON CONFLICT (event_key) DO NOTHING
          RETURNING id, event_key
        )
        SELECT 'event' AS kind, event_key AS id, id AS value FROM stored
        UNION ALL
        SELECT 'head', u.id, (SELECT max(p.last_event_id) FROM user_feed_pages p WHERE p.user_id = u.id::uuid)
        FROM unnest(${users}::text[]) AS u (id)`.execute(trx);
      const stored = new Map(rows.filter((row) => row.kind === 'event').map((row) => [row.id, Number(row.value)]));
      if (stored.size === 0) return unknown;
      const next = new Map(rows.filter((row) => row.kind === 'head').map((row) => [row.id, Number(row.value ?? 0)]));
      const pages = new Map<string, number[]>();
      for (const event of known) {
        const id = stored.get(event.key);
        if (id === undefined) continue;
        for (const user of audienceOf(event)) pages.set(user, [...(pages.get(user) ?? []), id]);
      }
      const grown = [...pages.keys()];
      const entries = grown.flatMap((user) => pages.get(user)!.map((eventId, i) => ({ user, userEventId: next.get(user)! + 1 + i, eventId })));
      const notices: string[] = [];
      for (let i = 0; i < grown.length; i += IDS_PER_NOTIFY) notices.push(grown.slice(i, i + IDS_PER_NOTIFY).join(','));
      await sql`
        WITH appended AS (
          SELECT a.user_id, a.event_id, a.stored_id, e.type, e.data, e.occurred_at
          FROM unnest(${entries.map((e) => e.user)}::uuid[], ${entries.map((e) => e.userEventId)}::bigint[],
                      ${entries.map((e) => e.eventId)}::bigint[]) AS a (user_id, event_id, stored_id)
          JOIN conversation_events e ON e.id = a.stored_id
        ), paged AS (
          INSERT INTO user_feed_pages (user_id, first_event_id, last_event_id, events)
          SELECT user_id, min(event_id), max(event_id), array_agg(stored_id ORDER BY event_id) FROM appended GROUP BY user_id
        ), queued AS (${queueWebhookDeliveries('appended')})
        SELECT pg_notify(${FEED_CHANNEL}, notice) FROM unnest(${notices}::text[]) AS notice
        UNION ALL ${announceQueued('queued')}`.execute(trx);
      return unknown;
    });
  }

  async read(cursors: readonly FeedCursor[], limit: number): Promise<Map<FeedCursor, UserEvent[]>> {
    const result = new Map<FeedCursor, UserEvent[]>(cursors.map((cursor) => [cursor, []]));
    if (cursors.length === 0) return result;
    const { rows } = await sql<EventRow & { reader: number }>`
      SELECT c.reader, f.event_id, e.type, e.occurred_at, e.data
      FROM unnest(${cursors.map((c) => c.userId)}::uuid[], ${cursors.map((c) => c.afterEventId)}::bigint[])
           WITH ORDINALITY AS c (user_id, after_id, reader)
      CROSS JOIN LATERAL (
        SELECT p.first_event_id + s.i - 1 AS event_id, s.stored_id
        FROM (SELECT * FROM user_feed_pages p WHERE p.user_id = c.user_id AND p.last_event_id > c.after_id
              ORDER BY p.last_event_id LIMIT ${limit}) AS p
        CROSS JOIN LATERAL unnest(p.events) WITH ORDINALITY AS s (stored_id, i)
        WHERE p.first_event_id + s.i - 1 > c.after_id
        ORDER BY 1 LIMIT ${limit}
      ) AS f
      JOIN conversation_events e ON e.id = f.stored_id
      ORDER BY c.reader, f.event_id`.execute(this.#db);
    for (const row of rows) result.get(cursors[Number(row.reader) - 1]!)!.push(toUserEvent(row));
    return result;
  }

  async head(userId: string): Promise<number> {
    const { rows } = await sql<{ last_event_id: number | string | null }>`
      SELECT max(last_event_id) AS last_event_id FROM user_feed_pages WHERE user_id = ${userId}`.execute(this.#db);
    return Number(rows[0]?.last_event_id ?? 0);
  }

  listen(listener: FeedListener): Promise<() => Promise<void>> {
    return this.#database.listen(FEED_CHANNEL, (payload) => listener(payload === null ? null : payload.split(',')));
  }

  async prune(before: Date): Promise<number> {
    const cutoff = before.toISOString();
    const result = await sql`
      WITH events AS (
        DELETE FROM conversation_events WHERE created_at < ${cutoff}::timestamptz RETURNING 1
      ), pages AS (
        -- a user's newest page stays: it says where their ids go on from
        DELETE FROM user_feed_pages p WHERE p.created_at < ${cutoff}::timestamptz
          AND EXISTS (SELECT 1 FROM user_feed_pages q WHERE q.user_id = p.user_id AND q.last_event_id > p.last_event_id)
      )
      SELECT count(*) AS n FROM events`.execute(this.#db);
    return Number((result.rows[0] as { n: number | string } | undefined)?.n ?? 0);
  }
}
