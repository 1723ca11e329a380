import { sql, type Transaction } from 'kysely';
import type { Delivery, Message, MessageDetail, SendCommand } from '../../domain/message.ts';
import {
  MessageStatuses,
  predecessorsOf,
  settledStatus,
  type DeliveryStatus,
  type MessageStatus,
} from '../../domain/message-status.ts';
import type { AcceptOutcome, DeliveryOutcome, MessagePage, MessageStore, PlannedDelivery } from '../../ports/message-store.ts';
import { BatchAccept, type BatchAcceptOptions } from './batch-accept.ts';
import { toMessage, type MessageRow } from './message-row.ts';
import type { Db } from './sql-database.ts';

interface DeliveryRow {
  channel: string;
  recipient_id: string;
  status: DeliveryStatus;
  reason: string | null;
  updated_at: Date | string;
}

const toDelivery = (row: DeliveryRow): Delivery => ({
  channel: row.channel,
  recipientId: row.recipient_id,
  status: row.status,
  reason: row.reason,
  updatedAt: new Date(row.updated_at),
});

export class SqlMessageStore implements MessageStore {
  readonly #db: Db;
  readonly #batches: BatchAccept;

  constructor(db: Db, options: BatchAcceptOptions) {
    this.#db = db;
    this.#batches = new BatchAccept(db, options);
  }

  /** Concurrent accepts share statements (see BatchAccept): same checks and guarantees, far fewer round trips. */
  accept(command: SendCommand, fingerprint: string): Promise<AcceptOutcome> {
    return this.#batches.accept({ command, fingerprint });
  }

  async list(conversationId: string, page: MessagePage): Promise<{ messages: Message[]; total: number }> {
    const { afterSeq, beforeSeq } = page;
    // Scrolling back from a cursor reads newest first through the (conversation_id, seq) index, then reverses.
    const backwards = beforeSeq !== undefined && afterSeq === undefined;
    const { rows } = await sql<MessageRow>`
      SELECT * FROM messages WHERE conversation_id = ${conversationId}
        ${afterSeq === undefined ? sql`` : sql`AND seq > ${afterSeq}`}
        ${beforeSeq === undefined ? sql`` : sql`AND seq < ${beforeSeq}`}
      ORDER BY seq ${backwards ? sql`DESC` : sql`ASC`} LIMIT ${page.limit} OFFSET ${page.offset}`.execute(this.#db);
    if (backwards) rows.reverse();
    // Seqs are gap-free from 1 and messages are never deleted one by one, so the last seq is the count
    // (count(*) would read a million index entries on a million-message conversation).
    const counted = await sql<{ n: number | string }>`
      SELECT last_seq AS n FROM conversations WHERE id = ${conversationId}`.execute(this.#db);
    return { messages: rows.map(toMessage), total: Number(counted.rows[0]?.n ?? 0) };
  }

  async find(messageId: string): Promise<MessageDetail | undefined> {
    const { rows } = await sql<
      MessageRow & {
        history: Array<{ status: MessageStatus; reason: string | null; at: string }>;
        deliveries: DeliveryRow[];
      }
    >`
      SELECT m.*,
        coalesce((SELECT jsonb_agg(jsonb_build_object('status', h.status, 'reason', h.reason, 'at', h.at) ORDER BY h.id)
                  FROM message_status_history h WHERE h.message_id = m.id), '[]') AS history,
        coalesce((SELECT jsonb_agg(to_jsonb(d) ORDER BY d.channel, d.recipient_id)
                  FROM deliveries d WHERE d.message_id = m.id), '[]') AS deliveries
      FROM messages m WHERE m.id = ${messageId}`.execute(this.#db);
    const row = rows[0];
    if (!row) return undefined;
    return {
      ...toMessage(row),
      history: row.history.map((entry) => ({ status: entry.status, reason: entry.reason, at: new Date(entry.at) })),
      deliveries: row.deliveries.map(toDelivery),
    };
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
        INSERT INTO deliveries (message_id, channel, recipient_id, status, reason)
        SELECT p.message_id, p.channel, p.recipient_id, CASE WHEN p.failure IS NULL THEN 'pending' ELSE 'failed' END,
               p.failure
        FROM unnest(${plan.map((d) => d.messageId)}::uuid[], ${plan.map((d) => d.channel)}::text[],
                    ${plan.map((d) => d.recipientId)}::uuid[], ${plan.map((d) => d.failure ?? null)}::text[])
             AS p (message_id, channel, recipient_id, failure)
        ON CONFLICT DO NOTHING`.execute(trx);
      await move(trx, messageIds.map((id) => ({ id, status: 'in_transit', reason: null })));
      const unattempted = plan.filter((delivery) => delivery.failure).map((delivery) => delivery.messageId);
      if (unattempted.length > 0) await settle(trx, [...new Set(unattempted)]);
    });
  }

  async pendingDeliveries(
    messageIds: readonly string[],
    channel: string,
  ): Promise<Array<{ messageId: string; recipientId: string }>> {
    const { rows } = await sql<{ message_id: string; recipient_id: string }>`
      SELECT message_id, recipient_id FROM deliveries
      WHERE message_id = ANY(${[...messageIds]}::uuid[]) AND channel = ${channel} AND status = 'pending'`.execute(this.#db);
    return rows.map((row) => ({ messageId: row.message_id, recipientId: row.recipient_id }));
  }

  async recordDeliveries(channel: string, outcomes: readonly DeliveryOutcome[]): Promise<DeliveryOutcome[]> {
    if (outcomes.length === 0) return [];
    return this.#db.transaction().execute(async (trx) => {
      await lockMessages(trx, [...new Set(outcomes.map((outcome) => outcome.messageId))]);
      const { rows } = await sql<{ message_id: string; recipient_id: string; status: 'delivered' | 'failed'; reason: string | null }>`
        UPDATE deliveries d SET status = o.status, reason = o.reason, updated_at = clock_timestamp()
        FROM unnest(${outcomes.map((o) => o.messageId)}::uuid[], ${outcomes.map((o) => o.recipientId)}::uuid[],
                    ${outcomes.map((o) => o.status)}::text[], ${outcomes.map((o) => o.reason)}::text[])
             AS o (message_id, recipient_id, status, reason)
        WHERE d.message_id = o.message_id AND d.channel = ${channel} AND d.recipient_id = o.recipient_id
          AND d.status = 'pending'
        RETURNING d.message_id, d.recipient_id, d.status, d.reason`.execute(trx);
      if (rows.length > 0) await settle(trx, [...new Set(rows.map((row) => row.message_id))]);
      return rows.map((row) => ({ messageId: row.message_id, recipientId: row.recipient_id, status: row.status, reason: row.reason }));
    });
  }
}

/**
 * Locks the messages' rows, in id order so two transactions never deadlock. Connectors of different channels
 * then settle a message one at a time, each seeing the other's committed deliveries.
 */
async function lockMessages(trx: Transaction<unknown>, messageIds: readonly string[]): Promise<void> {
  await sql`SELECT id FROM messages WHERE id = ANY(${[...messageIds]}::uuid[]) ORDER BY id FOR UPDATE`.execute(trx);
}

/** Gives each message its final status once none of its deliveries is pending (the domain decides which). */
async function settle(trx: Transaction<unknown>, messageIds: readonly string[]): Promise<void> {
  const { rows } = await sql<{ message_id: string; status: DeliveryStatus; reason: string | null }>`
    SELECT message_id, status, reason FROM deliveries
    WHERE message_id = ANY(${[...messageIds]}::uuid[]) ORDER BY message_id, channel, recipient_id`.execute(trx);
  const moves: Move[] = [];
  for (const [id, deliveries] of Map.groupBy(rows, (row) => row.message_id)) {
    const status = settledStatus(deliveries.map((delivery) => delivery.status));
    if (!status) continue;
    const reason = status === 'failed' ? (deliveries.find((delivery) => delivery.status === 'failed')?.reason ?? null) : null;
    moves.push({ id, status, reason });
  }
  await move(trx, moves);
}

interface Move {
  id: string;
  status: MessageStatus;
  reason: string | null;
}

/** Moves messages forward (never back) and records each move in their history; a move not allowed is skipped. */
async function move(trx: Transaction<unknown>, moves: readonly Move[]): Promise<void> {
  if (moves.length === 0) return;
  await sql`
    WITH wanted AS (
      SELECT * FROM unnest(${moves.map((m) => m.id)}::uuid[], ${moves.map((m) => m.status)}::text[],
                           ${moves.map((m) => m.reason)}::text[]) AS w (id, status, reason)
    ), moved AS (
      UPDATE messages m SET status = w.status, updated_at = clock_timestamp()
      FROM wanted w
      WHERE m.id = w.id AND m.status = ANY(
        CASE w.status ${sql.join(
          MessageStatuses.map((next) => sql`WHEN ${next} THEN ${predecessorsOf(next)}::text[]`),
          sql` `,
        )} END)
      RETURNING m.id, w.status, w.reason
    )
    INSERT INTO message_status_history (message_id, status, reason) SELECT id, status, reason FROM moved`.execute(trx);
}
