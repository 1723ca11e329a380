import { sql, type Transaction } from 'kysely';
import type { Delivery, Message, MessageDetail, Payload, Priority, SendCommand } from '../../domain/message.ts';
import { MESSAGE_PROCESSING_TOPIC } from '../../domain/channels.ts';
import {
  canMove,
  predecessorsOf,
  settledStatus,
  type DeliveryStatus,
  type MessageStatus,
} from '../../domain/message-status.ts';
import type { AcceptOutcome, DeliveryOutcome, MessageStore } from '../../ports/message-store.ts';
import { partitionFor } from '../partitioning.ts';
import type { Db } from './sql-database.ts';

interface MessageRow {
  id: string;
  conversation_id: string;
  seq: number | string;
  from_user_id: string;
  to_user_id: string | null;
  channels: string[];
  payload: Payload;
  priority: Priority;
  status: MessageStatus;
  request_hash: string;
  created_at: Date | string;
  updated_at: Date | string;
}

interface DeliveryRow {
  channel: string;
  recipient_id: string;
  status: DeliveryStatus;
  reason: string | null;
  updated_at: Date | string;
}

const toMessage = (row: MessageRow): Message => ({
  messageId: row.id,
  conversationId: row.conversation_id,
  seq: Number(row.seq),
  from: row.from_user_id,
  to: row.to_user_id,
  channels: row.channels,
  payload: row.payload,
  priority: row.priority,
  status: row.status,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
});

const toDelivery = (row: DeliveryRow): Delivery => ({
  channel: row.channel,
  recipientId: row.recipient_id,
  status: row.status,
  reason: row.reason,
  updatedAt: new Date(row.updated_at),
});

export class SqlMessageStore implements MessageStore {
  readonly #db: Db;
  readonly #outboxPartitions: number;
  readonly #onOutboxWrite: () => void;

  constructor(db: Db, outboxPartitions: number, onOutboxWrite: () => void) {
    this.#db = db;
    this.#outboxPartitions = outboxPartitions;
    this.#onOutboxWrite = onOutboxWrite;
  }

  /**
   * One statement: checks the conversation and membership, takes the next seq, and inserts the message, its
   * first history entry and its outbox record — or none of them.
   */
  async accept(command: SendCommand, fingerprint: string): Promise<AcceptOutcome> {
    const partition = partitionFor(command.conversationId, this.#outboxPartitions);
    const { rows } = await sql<{
      conversation_found: boolean;
      sender_is_member: boolean;
      recipient_is_member: boolean;
      inserted: MessageRow | null;
      existing: MessageRow | null;
    }>`
      WITH conversation AS (
        SELECT id FROM conversations WHERE id = ${command.conversationId}
      ), membership AS (
        SELECT coalesce(bool_or(user_id = ${command.from}), false) AS sender,
               coalesce(bool_or(user_id = ${command.to}::uuid), false) AS recipient
        FROM conversation_members
        WHERE conversation_id = ${command.conversationId} AND user_id IN (${command.from}, ${command.to}::uuid)
      ), existing AS (
        SELECT * FROM messages WHERE id = ${command.messageId}
      ), next AS (
        UPDATE conversations SET last_seq = last_seq + 1
        WHERE id = ${command.conversationId}
          AND (SELECT sender AND (${command.to}::uuid IS NULL OR recipient) FROM membership)
          AND NOT EXISTS (SELECT 1 FROM existing)
        RETURNING last_seq
      ), inserted AS (
        INSERT INTO messages (id, conversation_id, seq, from_user_id, to_user_id, channels, payload, priority, status,
                              request_hash)
        SELECT ${command.messageId}, ${command.conversationId}, next.last_seq, ${command.from}, ${command.to}::uuid,
               ${command.channels}::text[], ${JSON.stringify(command.payload)}::jsonb, ${command.priority}, 'accepted',
               ${fingerprint}
        FROM next
        ON CONFLICT (id) DO NOTHING
        RETURNING *
      ), history AS (
        INSERT INTO message_status_history (message_id, status) SELECT id, 'accepted' FROM inserted
      ), outboxed AS (
        INSERT INTO outbox (partition, topic, key, value)
        SELECT ${partition}, ${MESSAGE_PROCESSING_TOPIC}, conversation_id::text, jsonb_build_object(
          'message_id', id, 'conversation_id', conversation_id, 'seq', seq, 'from', from_user_id, 'to', to_user_id,
          'channels', to_jsonb(channels), 'payload', payload, 'priority', priority, 'created_at', created_at)
        FROM inserted
      )
      SELECT EXISTS (SELECT 1 FROM conversation) AS conversation_found,
             (SELECT sender FROM membership) AS sender_is_member,
             (SELECT recipient FROM membership) AS recipient_is_member,
             (SELECT to_jsonb(inserted) FROM inserted) AS inserted,
             (SELECT to_jsonb(existing) FROM existing) AS existing`.execute(this.#db);
    const result = rows[0]!;
    if (!result.conversation_found) return { kind: 'conversation_not_found' };
    if (!result.sender_is_member) return { kind: 'not_a_member' };
    if (command.to !== null && !result.recipient_is_member) return { kind: 'recipient_not_member' };
    if (result.inserted) {
      this.#onOutboxWrite();
      return { kind: 'accepted', message: toMessage(result.inserted) };
    }
    // Either it existed before, or a concurrent request with the same id committed first.
    const existing = result.existing ?? (await this.#row(command.messageId));
    if (!existing) throw new Error(`message ${command.messageId} was neither inserted nor found`);
    return { kind: 'duplicate', message: toMessage(existing), fingerprint: existing.request_hash };
  }

  async list(conversationId: string, page: { limit: number; offset: number }): Promise<{ messages: Message[]; total: number }> {
    const { rows } = await sql<MessageRow>`
      SELECT * FROM messages WHERE conversation_id = ${conversationId}
      ORDER BY seq LIMIT ${page.limit} OFFSET ${page.offset}`.execute(this.#db);
    const counted = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM messages WHERE conversation_id = ${conversationId}`.execute(this.#db);
    return { messages: rows.map(toMessage), total: Number(counted.rows[0]!.n) };
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

  async recipients(conversationId: string, senderId: string): Promise<string[]> {
    const { rows } = await sql<{ user_id: string }>`
      SELECT user_id FROM conversation_members
      WHERE conversation_id = ${conversationId} AND user_id <> ${senderId} ORDER BY position`.execute(this.#db);
    return rows.map((row) => row.user_id);
  }

  async planDeliveries(
    messageId: string,
    plan: Array<{ channel: string; recipientId: string; failure?: string }>,
  ): Promise<void> {
    await this.#db.transaction().execute(async (trx) => {
      const status = await this.#lock(trx, messageId);
      if (status === undefined) return;
      await sql`
        INSERT INTO deliveries (message_id, channel, recipient_id, status, reason)
        SELECT ${messageId}, p.channel, p.recipient_id, CASE WHEN p.failure IS NULL THEN 'pending' ELSE 'failed' END,
               p.failure
        FROM unnest(${plan.map((d) => d.channel)}::text[], ${plan.map((d) => d.recipientId)}::uuid[],
                    ${plan.map((d) => d.failure ?? null)}::text[]) AS p (channel, recipient_id, failure)
        ON CONFLICT DO NOTHING`.execute(trx);
      const moved = canMove(status, 'in_transit') ? await this.#move(trx, messageId, 'in_transit', null) : false;
      await this.#settle(trx, messageId, moved ? 'in_transit' : status);
    });
  }

  async pendingDeliveries(messageId: string, channel: string): Promise<Delivery[]> {
    const { rows } = await sql<DeliveryRow>`
      SELECT * FROM deliveries
      WHERE message_id = ${messageId} AND channel = ${channel} AND status = 'pending'
      ORDER BY recipient_id`.execute(this.#db);
    return rows.map(toDelivery);
  }

  async recordDeliveries(messageId: string, channel: string, outcomes: DeliveryOutcome[]): Promise<DeliveryOutcome[]> {
    return this.#db.transaction().execute(async (trx) => {
      const status = await this.#lock(trx, messageId);
      if (status === undefined) return [];
      const { rows } = await sql<{ recipient_id: string; status: 'delivered' | 'failed'; reason: string | null }>`
        UPDATE deliveries d SET status = o.status, reason = o.reason, updated_at = clock_timestamp()
        FROM unnest(${outcomes.map((o) => o.recipientId)}::uuid[], ${outcomes.map((o) => o.status)}::text[],
                    ${outcomes.map((o) => o.reason)}::text[]) AS o (recipient_id, status, reason)
        WHERE d.message_id = ${messageId} AND d.channel = ${channel} AND d.recipient_id = o.recipient_id
          AND d.status = 'pending'
        RETURNING d.recipient_id, d.status, d.reason`.execute(trx);
      if (rows.length > 0) await this.#settle(trx, messageId, status);
      return rows.map((row) => ({ recipientId: row.recipient_id, status: row.status, reason: row.reason }));
    });
  }

  /** Locks the message row so concurrent connectors settle it one at a time; returns its status. */
  async #lock(trx: Transaction<unknown>, messageId: string): Promise<MessageStatus | undefined> {
    const { rows } = await sql<{ status: MessageStatus }>`
      SELECT status FROM messages WHERE id = ${messageId} FOR UPDATE`.execute(trx);
    return rows[0]?.status;
  }

  /** Gives the message its final status once no delivery is pending. */
  async #settle(trx: Transaction<unknown>, messageId: string, current: MessageStatus): Promise<void> {
    const { rows } = await sql<{ status: DeliveryStatus; reason: string | null }>`
      SELECT status, reason FROM deliveries WHERE message_id = ${messageId}
      ORDER BY channel, recipient_id`.execute(trx);
    const final = settledStatus(rows.map((row) => row.status));
    if (!final || !canMove(current, final)) return;
    const reason = final === 'failed' ? (rows.find((row) => row.status === 'failed')?.reason ?? null) : null;
    await this.#move(trx, messageId, final, reason);
  }

  /** Moves the message forward (never back) and records the move in its history. */
  async #move(trx: Transaction<unknown>, messageId: string, next: MessageStatus, reason: string | null): Promise<boolean> {
    const { rows } = await sql<{ id: string }>`
      WITH moved AS (
        UPDATE messages SET status = ${next}, updated_at = clock_timestamp()
        WHERE id = ${messageId} AND status = ANY(${predecessorsOf(next)}::text[])
        RETURNING id
      )
      INSERT INTO message_status_history (message_id, status, reason) SELECT id, ${next}, ${reason} FROM moved
      RETURNING message_id AS id`.execute(trx);
    return rows.length > 0;
  }

  async #row(messageId: string): Promise<MessageRow | undefined> {
    const { rows } = await sql<MessageRow>`SELECT * FROM messages WHERE id = ${messageId}`.execute(this.#db);
    return rows[0];
  }
}
