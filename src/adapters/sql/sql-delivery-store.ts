import { sql } from 'kysely';
import { DeliveryStatuses, deliveryPredecessorsOf, type DeliveryEventStatus } from '../../domain/message-status.ts';
import type { DeliveryEvent, DeliveryRef, DeliveryStore, PlannedDelivery } from '../../ports/delivery-store.ts';
import type { Db } from './sql-database.ts';
import { lockMessages, move, settle } from './sql-message-status.ts';

/** The SQL for "this delivery may move to e.status": its current status is one of the allowed predecessors. */
const mayMove = sql.join(
  DeliveryStatuses.map((next) => sql`WHEN ${next} THEN ${deliveryPredecessorsOf(next)}::text[]`),
  sql` `,
);

export class SqlDeliveryStore implements DeliveryStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async members(conversationIds: readonly string[]): Promise<Map<string, string[]>> {
    const { rows } = await sql<{ conversation_id: string; user_id: string }>`
      SELECT conversation_id, user_id FROM conversation_members
      WHERE conversation_id = ANY(${[...conversationIds]}::uuid[]) ORDER BY conversation_id, position`.execute(this.#db);
    const members = new Map<string, string[]>();
    for (const row of rows) members.set(row.conversation_id, [...(members.get(row.conversation_id) ?? []), row.user_id]);
    return members;
  }

  async planDeliveries(plan: readonly PlannedDelivery[]): Promise<void> {
    if (plan.length === 0) return;
    const messageIds = [...new Set(plan.map((delivery) => delivery.messageId))];
    await this.#db.transaction().execute(async (trx) => {
      await lockMessages(trx, messageIds);
      await sql`
        WITH planned AS (
          INSERT INTO deliveries (message_id, channel, recipient_id, status, reason)
          SELECT p.message_id, p.channel, p.recipient_id, CASE WHEN p.failure IS NULL THEN 'pending' ELSE 'failed' END,
                 p.failure
          FROM unnest(${plan.map((d) => d.messageId)}::uuid[], ${plan.map((d) => d.channel)}::text[],
                      ${plan.map((d) => d.recipientId)}::uuid[], ${plan.map((d) => d.failure ?? null)}::text[])
               AS p (message_id, channel, recipient_id, failure)
          ON CONFLICT DO NOTHING
          RETURNING message_id, channel, recipient_id, status, reason
        )
        INSERT INTO delivery_events (message_id, channel, recipient_id, status, reason)
        SELECT message_id, channel, recipient_id, status, reason FROM planned`.execute(trx);
      await move(trx, messageIds.map((id) => ({ id, status: 'in_transit', reason: null })));
      const unattempted = plan.filter((delivery) => delivery.failure).map((delivery) => delivery.messageId);
      if (unattempted.length > 0) await settle(trx, [...new Set(unattempted)]);
    });
  }

  async pendingDeliveries(messageIds: readonly string[], channel: string): Promise<DeliveryRef[]> {
    const { rows } = await sql<{ message_id: string; recipient_id: string }>`
      SELECT message_id, recipient_id FROM deliveries
      WHERE message_id = ANY(${[...messageIds]}::uuid[]) AND channel = ${channel} AND status = 'pending'`.execute(this.#db);
    return rows.map((row) => ({ messageId: row.message_id, recipientId: row.recipient_id }));
  }

  async recordDeliveryEvents(channel: string, events: readonly DeliveryEvent[]): Promise<DeliveryEvent[]> {
    if (events.length === 0) return [];
    return this.#db.transaction().execute(async (trx) => {
      await lockMessages(trx, [...new Set(events.map((event) => event.messageId))]);
      const applied: DeliveryEvent[] = [];
      // One UPDATE can move a row once: events for the same delivery go in successive rounds, in their order.
      for (const round of rounds(events)) {
        const { rows } = await sql<{
          message_id: string;
          recipient_id: string;
          status: DeliveryEventStatus;
          reason: string | null;
          provider_message_id: string | null;
          channel_at: Date | string | null;
        }>`
          WITH e AS (
            SELECT * FROM unnest(${round.map((e) => e.messageId)}::uuid[], ${round.map((e) => e.recipientId)}::uuid[],
                                 ${round.map((e) => e.status)}::text[], ${round.map((e) => e.reason)}::text[],
                                 ${round.map((e) => e.providerMessageId ?? null)}::text[],
                                 ${round.map((e) => e.channelAt?.toISOString() ?? null)}::timestamptz[])
              AS e (message_id, recipient_id, status, reason, provider_message_id, channel_at)
          ), applied AS (
            UPDATE deliveries d
            SET status = e.status, reason = e.reason, updated_at = clock_timestamp(),
                provider_message_id = coalesce(e.provider_message_id, d.provider_message_id)
            FROM e
            WHERE d.message_id = e.message_id AND d.channel = ${channel} AND d.recipient_id = e.recipient_id
              AND d.status = ANY(CASE e.status ${mayMove} END)
            RETURNING d.message_id, d.recipient_id, e.status, e.reason, e.provider_message_id, e.channel_at
          ), history AS (
            INSERT INTO delivery_events (message_id, channel, recipient_id, status, reason, channel_at)
            SELECT message_id, ${channel}, recipient_id, status, reason, channel_at FROM applied
          )
          SELECT * FROM applied`.execute(trx);
        for (const row of rows) {
          applied.push({
            messageId: row.message_id,
            recipientId: row.recipient_id,
            status: row.status,
            reason: row.reason,
            ...(row.provider_message_id ? { providerMessageId: row.provider_message_id } : {}),
            channelAt: row.channel_at === null ? null : new Date(row.channel_at),
          });
        }
      }
      if (applied.length > 0) await settle(trx, [...new Set(applied.map((event) => event.messageId))]);
      return applied;
    });
  }

  async findByProviderIds(channel: string, providerMessageIds: readonly string[]): Promise<Map<string, DeliveryRef>> {
    const { rows } = await sql<{ provider_message_id: string; message_id: string; recipient_id: string }>`
      SELECT provider_message_id, message_id, recipient_id FROM deliveries
      WHERE channel = ${channel} AND provider_message_id = ANY(${[...providerMessageIds]}::text[])`.execute(this.#db);
    return new Map(rows.map((row) => [row.provider_message_id, { messageId: row.message_id, recipientId: row.recipient_id }]));
  }
}

/** Splits events into rounds holding at most one event per delivery, keeping each delivery's events in order. */
function rounds(events: readonly DeliveryEvent[]): DeliveryEvent[][] {
  const result: DeliveryEvent[][] = [];
  const seen = new Map<string, number>();
  for (const event of events) {
    const key = `${event.messageId}/${event.recipientId}`;
    const round = seen.get(key) ?? 0;
    seen.set(key, round + 1);
    (result[round] ??= []).push(event);
  }
  return result;
}
