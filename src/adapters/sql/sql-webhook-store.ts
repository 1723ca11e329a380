import { sql } from 'kysely';
import type { HubEventType } from '../../domain/hub-events.ts';
import type { WebhookDeadLetterPage, Webhook, WebhookStore } from '../../ports/webhook-store.ts';
import type { Db } from './sql-database.ts';
import { toEvent, WEBHOOK_QUEUE_CHANNEL, type EventRow } from './sql-webhook-queue.ts';

interface WebhookRow {
  id: string;
  user_id: string;
  url: string;
  events: HubEventType[];
  created_at: Date | string;
}

const toWebhook = (row: WebhookRow): Webhook => ({
  webhookId: row.id,
  userId: row.user_id,
  url: row.url,
  events: row.events,
  createdAt: new Date(row.created_at),
});

export class SqlWebhookStore implements WebhookStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** The user's row is locked (not against the key share that references take) so two creates count in turn. */
  async create(webhook: Omit<Webhook, 'createdAt'> & { secret: string }, maxPerUser: number): Promise<Webhook | undefined> {
    return this.#db.transaction().execute(async (trx) => {
      await sql`SELECT 1 FROM users WHERE id = ${webhook.userId} FOR NO KEY UPDATE`.execute(trx);
      const { rows } = await sql<WebhookRow>`
        INSERT INTO webhooks (id, user_id, url, events, secret)
        SELECT ${webhook.webhookId}, ${webhook.userId}, ${webhook.url}, ${webhook.events}::text[], ${webhook.secret}
        WHERE (SELECT count(*) FROM webhooks WHERE user_id = ${webhook.userId}) < ${maxPerUser}
        RETURNING id, user_id, url, events, created_at`.execute(trx);
      return rows[0] && toWebhook(rows[0]);
    });
  }

  async list(userId: string): Promise<Webhook[]> {
    const { rows } = await sql<WebhookRow>`
      SELECT id, user_id, url, events, created_at FROM webhooks WHERE user_id = ${userId} ORDER BY created_at, id`.execute(this.#db);
    return rows.map(toWebhook);
  }

  async find(webhookId: string): Promise<Webhook | undefined> {
    const { rows } = await sql<WebhookRow>`
      SELECT id, user_id, url, events, created_at FROM webhooks WHERE id = ${webhookId}`.execute(this.#db);
    return rows[0] && toWebhook(rows[0]);
  }

  async delete(webhookId: string): Promise<boolean> {
    const result = await sql`DELETE FROM webhooks WHERE id = ${webhookId}`.execute(this.#db);
    return Number(result.numAffectedRows ?? 0) > 0;
  }

  async deadLetters(webhookId: string, page: { limit: number; after: number }): Promise<WebhookDeadLetterPage> {
    const { rows } = await sql<EventRow & {
      id: string;
      attempts: number;
      first_attempt_at: Date | string;
      last_attempt_at: Date | string;
      last_status: number | null;
      last_error: string | null;
      settled_at: Date | string;
      dead_seq: number | string;
    }>`
      SELECT id, event_id, type, data, occurred_at, attempts, first_attempt_at, last_attempt_at, last_status, last_error,
             settled_at, dead_seq
      FROM webhook_deliveries WHERE webhook_id = ${webhookId} AND status = 'dead' AND dead_seq > ${page.after}
      ORDER BY dead_seq LIMIT ${page.limit + 1}`.execute(this.#db);
    const shown = rows.slice(0, page.limit);
    return {
      deadLetters: shown.map((row) => ({
        deliveryId: row.id,
        event: toEvent(row),
        attempts: row.attempts,
        firstAttemptAt: new Date(row.first_attempt_at),
        lastAttemptAt: new Date(row.last_attempt_at),
        lastStatus: row.last_status,
        lastError: row.last_error,
        deadAt: new Date(row.settled_at),
      })),
      next: rows.length > page.limit ? Number(shown.at(-1)!.dead_seq) : null,
    };
  }

  /** A replayed delivery starts over: a fresh retry window from its next attempt, due now. */
  async replay(webhookId: string, deliveryIds?: readonly string[]): Promise<string[]> {
    const only = deliveryIds === undefined ? sql`TRUE` : sql`id = ANY (${[...deliveryIds]}::uuid[])`;
    return this.#db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ id: string }>`
        UPDATE webhook_deliveries
        SET status = 'pending', attempts = 0, first_attempt_at = NULL, next_attempt_at = now(), settled_at = NULL,
            dead_seq = NULL
        WHERE webhook_id = ${webhookId} AND status = 'dead' AND ${only}
        RETURNING id`.execute(trx);
      if (rows.length > 0) await sql`SELECT pg_notify(${WEBHOOK_QUEUE_CHANNEL}, '')`.execute(trx);
      return rows.map((row) => row.id);
    });
  }
}
