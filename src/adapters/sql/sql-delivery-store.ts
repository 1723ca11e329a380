import { sql, type Transaction } from 'kysely';
import { DeliveryStatuses, deliveryPredecessorsOf, type DeliveryEventStatus } from '../../domain/message-status.ts';
import type { DeliveryEvent, DeliveryRef, DeliveryStore, PlannedDelivery } from '../../ports/delivery-store.ts';
import type { BusRecord } from '../../ports/message-bus.ts';
import { conversationRead, HUB_EVENTS_TOPIC } from '../../domain/hub-events.ts';
import type { Db } from './sql-database.ts';
import type { SqlOutboxWriter } from './sql-outbox-writer.ts';
import { lockMessages, move, settle } from './sql-message-status.ts';

/** The SQL for "this delivery may move to e.status": its current status is one of the allowed predecessors. */
const mayMove = sql.join(
  DeliveryStatuses.map((next) => sql`WHEN ${next} THEN ${deliveryPredecessorsOf(next)}::text[]`),
  sql` `,
);

/** Every write here announces what it changed (hub events) through the outbox, in the same transaction. */
export class SqlDeliveryStore implements DeliveryStore {
  readonly #db: Db;
  readonly #outbox: SqlOutboxWriter;

  constructor(db: Db, outbox: SqlOutboxWriter) {
    this.#db = db;
    this.#outbox = outbox;
  }

  /** Runs `work` in a transaction and wakes the relay once it committed. */
  async #write<T>(work: (trx: Transaction<unknown>) => Promise<T>): Promise<T> {
    const result = await this.#db.transaction().execute(work);
    this.#outbox.wake();
    return result;
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
    await this.#write(async (trx) => {
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
      await move(trx, messageIds.map((id) => ({ id, status: 'in_transit', reason: null })), this.#outbox);
      const unattempted = plan.filter((delivery) => delivery.failure).map((delivery) => delivery.messageId);
      if (unattempted.length > 0) await settle(trx, [...new Set(unattempted)], this.#outbox);
    });
  }

  async pendingDeliveries(messageIds: readonly string[], channel: string): Promise<DeliveryRef[]> {
    const { rows } = await sql<{ message_id: string; recipient_id: string }>`
      SELECT message_id, recipient_id FROM deliveries
      WHERE message_id = ANY(${[...messageIds]}::uuid[]) AND channel = ${channel} AND status = 'pending'`.execute(this.#db);
    return rows.map((row) => ({ messageId: row.message_id, recipientId: row.recipient_id }));
  }

  async recordDeliveryEvents(
    channel: string,
    events: readonly DeliveryEvent[],
    alsoPublish?: (applied: readonly DeliveryEvent[]) => BusRecord[],
  ): Promise<DeliveryEvent[]> {
    if (events.length === 0) return [];
    return this.#write(async (trx) => {
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
      const handedOver = applied.filter((event) => event.status === 'sent' || event.status === 'delivered');
      if (handedOver.length > 0) await readAlready(trx, channel, [...new Set(handedOver.map((event) => event.messageId))]);
      if (applied.length > 0) await settle(trx, [...new Set(applied.map((event) => event.messageId))], this.#outbox);
      if (alsoPublish) await this.#outbox.append(trx, alsoPublish(applied));
      return applied;
    });
  }

  async markRead(conversationId: string, readerId: string, upToSeq: number): Promise<{ upToSeq: number; marked: number }> {
    return this.#write(async (trx) => {
      const { rows } = await sql<{ previous: number | string; last_seq: number | string }>`
        SELECT me.last_read_seq AS previous, c.last_seq
        FROM conversation_members me JOIN conversations c ON c.id = me.conversation_id
        WHERE me.conversation_id = ${conversationId} AND me.user_id = ${readerId}
        FOR UPDATE OF me`.execute(trx);
      const previous = Number(rows[0]!.previous);
      const pointer = Math.max(previous, Math.min(upToSeq, Number(rows[0]!.last_seq)));
      if (pointer === previous) return { upToSeq: pointer, marked: 0 };
      const { rows: updated } = await sql<{ at: Date | string }>`
        UPDATE conversation_members SET last_read_seq = ${pointer}
        WHERE conversation_id = ${conversationId} AND user_id = ${readerId}
        RETURNING clock_timestamp() AS at`.execute(trx);
      const read = conversationRead({
        conversation_id: conversationId,
        user_id: readerId,
        up_to_seq: pointer,
        at: new Date(updated[0]!.at).toISOString(),
      });
      await this.#outbox.append(trx, [{ topic: HUB_EVENTS_TOPIC, key: conversationId, value: read }]);
      // Lock first, as connectors do: one still handing a delivery over commits before we look at its status,
      // and one that comes after sees the new pointer (see readAlready).
      const locked = await sql<{ id: string }>`
        SELECT m.id FROM messages m
        WHERE m.conversation_id = ${conversationId} AND m.seq > ${previous} AND m.seq <= ${pointer}
          AND EXISTS (SELECT 1 FROM deliveries d
                      WHERE d.message_id = m.id AND d.recipient_id = ${readerId} AND d.status IN ('pending', 'sent', 'delivered'))
        ORDER BY m.id FOR UPDATE OF m`.execute(trx);
      const messageIds = locked.rows.map((row) => row.id);
      if (messageIds.length === 0) return { upToSeq: pointer, marked: 0 };
      const { rows: marked } = await sql<{ message_id: string }>`
        WITH read AS (
          UPDATE deliveries d SET status = 'read', reason = NULL, updated_at = clock_timestamp()
          WHERE d.message_id = ANY(${messageIds}::uuid[]) AND d.recipient_id = ${readerId} AND d.status IN ('sent', 'delivered')
          RETURNING d.message_id, d.channel, d.recipient_id
        ), history AS (
          INSERT INTO delivery_events (message_id, channel, recipient_id, status) SELECT message_id, channel, recipient_id, 'read' FROM read
        )
        SELECT DISTINCT message_id FROM read`.execute(trx);
      await settle(trx, marked.map((row) => row.message_id), this.#outbox);
      return { upToSeq: pointer, marked: marked.length };
    });
  }

  async requeueFailed(channel: string, refs: readonly DeliveryRef[], reason: string): Promise<DeliveryRef[]> {
    if (refs.length === 0) return [];
    return this.#write(async (trx) => {
      await lockMessages(trx, [...new Set(refs.map((ref) => ref.messageId))]);
      const { rows } = await sql<{ message_id: string; recipient_id: string }>`
        WITH requeued AS (
          UPDATE deliveries d SET status = 'pending', reason = NULL, updated_at = clock_timestamp()
          FROM unnest(${refs.map((r) => r.messageId)}::uuid[], ${refs.map((r) => r.recipientId)}::uuid[]) AS r (message_id, recipient_id)
          WHERE d.message_id = r.message_id AND d.recipient_id = r.recipient_id AND d.channel = ${channel} AND d.status = 'failed'
          RETURNING d.message_id, d.recipient_id
        ), history AS (
          INSERT INTO delivery_events (message_id, channel, recipient_id, status, reason)
          SELECT message_id, ${channel}, recipient_id, 'pending', ${reason} FROM requeued
        )
        SELECT * FROM requeued`.execute(trx);
      const messageIds = [...new Set(rows.map((row) => row.message_id))];
      await sql`
        WITH reopened AS (
          UPDATE messages SET status = 'in_transit', updated_at = clock_timestamp()
          WHERE id = ANY(${messageIds}::uuid[]) AND status = 'failed'
          RETURNING id
        )
        INSERT INTO message_status_history (message_id, status, reason) SELECT id, 'in_transit', ${reason} FROM reopened`.execute(trx);
      return rows.map((row) => ({ messageId: row.message_id, recipientId: row.recipient_id }));
    });
  }

  async findByProviderIds(channel: string, providerMessageIds: readonly string[]): Promise<Map<string, DeliveryRef>> {
    const { rows } = await sql<{ provider_message_id: string; message_id: string; recipient_id: string }>`
      SELECT provider_message_id, message_id, recipient_id FROM deliveries
      WHERE channel = ${channel} AND provider_message_id = ANY(${[...providerMessageIds]}::text[])`.execute(this.#db);
    return new Map(rows.map((row) => [row.provider_message_id, { messageId: row.message_id, recipientId: row.recipient_id }]));
  }
}

/**
 * Deliveries just handed over whose recipient already read that far in the hub (a read receipt that came first)
 * are read at once.
 */
async function readAlready(trx: Transaction<unknown>, channel: string, messageIds: readonly string[]): Promise<void> {
  await sql`
    WITH due AS (
      SELECT d.message_id, d.recipient_id FROM deliveries d
      JOIN messages m ON m.id = d.message_id
      JOIN conversation_members me ON me.conversation_id = m.conversation_id AND me.user_id = d.recipient_id
      WHERE d.message_id = ANY(${[...messageIds]}::uuid[]) AND d.channel = ${channel}
        AND d.status IN ('sent', 'delivered') AND me.last_read_seq >= m.seq
    ), read AS (
      UPDATE deliveries d SET status = 'read', updated_at = clock_timestamp()
      FROM due WHERE d.message_id = due.message_id AND d.channel = ${channel} AND d.recipient_id = due.recipient_id
      RETURNING d.message_id, d.recipient_id
    )
    INSERT INTO delivery_events (message_id, channel, recipient_id, status)
    SELECT message_id, ${channel}, recipient_id, 'read' FROM read`.execute(trx);
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
