import { sql } from 'kysely';
import type { HubEventType } from '../../domain/hub-events.ts';
import type { WebhookEvent } from '../../domain/webhooks.ts';
import type { AttemptOutcome, ClaimedDelivery, ClaimOptions, Load, WebhookQueue } from '../../ports/webhook-queue.ts';
import type { Db, SqlDatabase } from './sql-database.ts';

/** Announces that deliveries were queued (new events, replays), to the dispatchers of every process. */
export const WEBHOOK_QUEUE_CHANNEL = 'chat4all_webhook_deliveries';

/** How far past the per-claim limit a claim looks, so one user's or host's backlog cannot hide the others'. */
const LOOKAHEAD = 10;
const MAX_ERROR_LENGTH = 500;

/**
 * The host and port of the URL of the webhook `w`, as written (lower-cased): what the per-host share counts. Taken
 * from the stored URL rather than kept in a column, so webhooks registered before the share existed count too.
 */
const HOST = sql`coalesce(lower(substring(w.url from '^[^:]+://([^/?#]*)')), '')`;

/** Leaves out the deliveries (joined to their webhook `w`) of users and hosts at their share. */
function notBusy(load: Load) {
  const full = (counts: ReadonlyMap<string, number>, share: number) => [...counts].filter(([, n]) => n >= share).map(([key]) => key);
  return sql`w.user_id <> ALL (${full(load.users, load.perUser)}::uuid[]) AND ${HOST} <> ALL (${full(load.hosts, load.perHost)}::text[])`;
}

export interface EventRow {
  event_id: number | string;
  type: HubEventType;
  data: unknown;
  occurred_at: Date | string;
}

export const toEvent = (row: EventRow): WebhookEvent => ({
  eventId: Number(row.event_id),
  type: row.type,
  occurredAt: new Date(row.occurred_at),
  data: row.data,
});

/**
 * Queues a delivery of each freshly appended feed event in `events` (a CTE of user_id, event_id, type, data,
 * occurred_at) to every webhook of its user that chose its type: a CTE for the statement that appends them, so an
 * event is queued exactly when it enters the feed. It returns a row per delivery queued (see announceQueued).
 */
export const queueWebhookDeliveries = (events: string) => sql`
  INSERT INTO webhook_deliveries (id, webhook_id, event_id, type, data, occurred_at)
  SELECT gen_random_uuid(), w.id, e.event_id, e.type, e.data, e.occurred_at
  FROM ${sql.table(events)} e JOIN webhooks w ON w.user_id = e.user_id AND e.type = ANY (w.events)
  ON CONFLICT DO NOTHING
  RETURNING 1`;

/** Tells the dispatchers once if the CTE `queued` (from queueWebhookDeliveries) queued anything; selects void rows. */
export const announceQueued = (queued: string) =>
  sql`SELECT pg_notify(${WEBHOOK_QUEUE_CHANNEL}, '') FROM (SELECT 1 FROM ${sql.table(queued)} LIMIT 1) AS any_queued`;

export class SqlWebhookQueue implements WebhookQueue {
  readonly #database: SqlDatabase;
  readonly #db: Db;

  constructor(database: SqlDatabase) {
    this.#database = database;
    this.#db = database.db;
  }

  /**
   * Ranks due deliveries per user and per host so none gets past its share in flight, then locks them with SKIP
   * LOCKED (dispatchers never take the same one) and pushes their next attempt out by the lease: that is the claim.
   */
  async claim({ limit, leaseMs, load }: ClaimOptions): Promise<ClaimedDelivery[]> {
    const { rows } = await sql<EventRow & {
      id: string;
      webhook_id: string;
      user_id: string;
      url: string;
      host: string;
      secret: string;
      attempts: number;
      since_first_ms: number | string;
    }>`
      WITH in_flight_users AS (
        SELECT * FROM unnest(${[...load.users.keys()]}::uuid[], ${[...load.users.values()]}::int[]) AS f (user_id, n)
      ), in_flight_hosts AS (
        SELECT * FROM unnest(${[...load.hosts.keys()]}::text[], ${[...load.hosts.values()]}::int[]) AS f (host, n)
      ), due AS (
        SELECT id, next_attempt_at, user_id, host,
               row_number() OVER (PARTITION BY user_id ORDER BY next_attempt_at, id) AS user_rank,
               row_number() OVER (PARTITION BY host ORDER BY next_attempt_at, id) AS host_rank
        FROM (
          SELECT d.id, d.next_attempt_at, w.user_id, ${HOST} AS host
          FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
          WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND ${notBusy(load)}
          ORDER BY d.next_attempt_at LIMIT ${limit * LOOKAHEAD}
        ) AS oldest
      ), picked AS (
        SELECT due.id FROM due LEFT JOIN in_flight_users u USING (user_id) LEFT JOIN in_flight_hosts h USING (host)
        WHERE due.user_rank <= ${load.perUser} - coalesce(u.n, 0) AND due.host_rank <= ${load.perHost} - coalesce(h.n, 0)
        ORDER BY due.next_attempt_at, due.id
        LIMIT ${limit}
      ), locked AS (
        SELECT id FROM webhook_deliveries
        WHERE id IN (SELECT id FROM picked) AND status = 'pending' AND next_attempt_at <= now()
        FOR UPDATE SKIP LOCKED
      )
      UPDATE webhook_deliveries d
      SET attempts = d.attempts + 1, first_attempt_at = coalesce(d.first_attempt_at, now()), last_attempt_at = now(),
          next_attempt_at = now() + ${leaseMs}::float8 * interval '1 millisecond'
      FROM locked, webhooks w
      WHERE d.id = locked.id AND w.id = d.webhook_id
      RETURNING d.id, d.webhook_id, w.user_id, w.url, ${HOST} AS host, w.secret, d.event_id, d.type, d.data, d.occurred_at,
                d.attempts, extract(epoch FROM now() - d.first_attempt_at) * 1000 AS since_first_ms`.execute(this.#db);
    return rows.map((row) => ({
      deliveryId: row.id,
      webhookId: row.webhook_id,
      userId: row.user_id,
      url: row.url,
      host: row.host,
      secret: row.secret,
      event: toEvent(row),
      attempt: row.attempts,
      sinceFirstAttemptMs: Number(row.since_first_ms),
    }));
  }

  async msUntilNextDue(load: Load): Promise<number | null> {
    // Not greatest(0, …) in SQL: greatest() ignores a NULL, so an empty queue would read as due now.
    const { rows } = await sql<{ ms: number | string | null }>`
      SELECT extract(epoch FROM min(d.next_attempt_at) - now()) * 1000 AS ms
      FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
      WHERE d.status = 'pending' AND ${notBusy(load)}`.execute(this.#db);
    const ms = rows[0]?.ms;
    return ms === null || ms === undefined ? null : Math.max(0, Number(ms));
  }

  /** A success counts even when the claim was lost meanwhile: the receiver has the event. */
  async delivered(delivery: ClaimedDelivery, outcome: AttemptOutcome): Promise<void> {
    await sql`
      UPDATE webhook_deliveries SET status = 'delivered', settled_at = now(), last_status = ${outcome.status}, last_error = NULL
      WHERE id = ${delivery.deliveryId} AND status = 'pending'`.execute(this.#db);
  }

  async failed(delivery: ClaimedDelivery, outcome: AttemptOutcome, retryInMs: number | null): Promise<void> {
    const error = outcome.error?.slice(0, MAX_ERROR_LENGTH) ?? null;
    const next =
      retryInMs === null
        ? sql`status = 'dead', settled_at = now(), dead_seq = nextval('webhook_dead_letter_seq')`
        : sql`next_attempt_at = now() + ${retryInMs}::float8 * interval '1 millisecond'`;
    await sql`
      UPDATE webhook_deliveries SET last_status = ${outcome.status}, last_error = ${error}, ${next}
      WHERE id = ${delivery.deliveryId} AND status = 'pending' AND attempts = ${delivery.attempt}`.execute(this.#db);
  }

  async release(delivery: ClaimedDelivery): Promise<void> {
    await sql`
      UPDATE webhook_deliveries SET next_attempt_at = now()
      WHERE id = ${delivery.deliveryId} AND status = 'pending' AND attempts = ${delivery.attempt}`.execute(this.#db);
  }

  listen(onQueued: () => void): Promise<() => Promise<void>> {
    // null (the listener reconnected, so it may have missed some) is also a reason to look.
    return this.#database.listen(WEBHOOK_QUEUE_CHANNEL, () => onQueued());
  }

  async prune(before: Date): Promise<number> {
    const result = await sql`
      DELETE FROM webhook_deliveries WHERE status <> 'pending' AND settled_at < ${before.toISOString()}::timestamptz`.execute(this.#db);
    return Number(result.numAffectedRows ?? 0);
  }
}
