import { sql } from 'kysely';
import type { Delivery, Message, MessageDetail, Payload, Priority, SendCommand } from '../../domain/message.ts';
import { MESSAGE_PROCESSING_TOPIC } from '../../domain/channels.ts';
import type { DeliveryStatus, MessageStatus } from '../../domain/message-status.ts';
import type { AcceptOutcome, MessageStore, SeqPage } from '../../ports/message-store.ts';
import { partitionFor } from '../partitioning.ts';
import type { Db } from './sql-database.ts';

export interface MessageRow {
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
  provider_message_id: string | null;
  updated_at: Date | string;
  history: Array<{ status: DeliveryStatus; reason: string | null; channel_at: string | null; recorded_at: string }>;
}

export const toMessage = (row: MessageRow): Message => ({
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
  providerMessageId: row.provider_message_id,
  updatedAt: new Date(row.updated_at),
  history: row.history.map((step) => ({
    status: step.status,
    reason: step.reason,
    channelAt: step.channel_at === null ? null : new Date(step.channel_at),
    recordedAt: new Date(step.recorded_at),
  })),
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
        UPDATE conversations SET last_seq = last_seq + 1, last_message_at = now()
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

  /**
   * A page next to a seq, walking the (conversation_id, seq) index from there: the same cost at any depth.
   * Reads one row more than asked to tell whether there is more.
   */
  async listBySeq(conversationId: string, page: SeqPage): Promise<{ messages: Message[]; hasMore: boolean }> {
    const { afterSeq, beforeSeq } = page;
    // Scrolling back (only before_seq) walks the index downwards and turns the page around.
    const backwards = beforeSeq !== undefined && afterSeq === undefined;
    const { rows } = await sql<MessageRow>`
      SELECT * FROM messages
      WHERE conversation_id = ${conversationId}
        ${afterSeq === undefined ? sql`` : sql`AND seq > ${afterSeq}`}
        ${beforeSeq === undefined ? sql`` : sql`AND seq < ${beforeSeq}`}
      ORDER BY seq ${backwards ? sql`DESC` : sql`ASC`} LIMIT ${page.limit + 1}`.execute(this.#db);
    const messages = rows.slice(0, page.limit).map(toMessage);
    return { messages: backwards ? messages.reverse() : messages, hasMore: rows.length > page.limit };
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
        coalesce((SELECT jsonb_agg(to_jsonb(d) || jsonb_build_object('history', coalesce((
                    SELECT jsonb_agg(jsonb_build_object('status', e.status, 'reason', e.reason, 'channel_at', e.channel_at,
                                                        'recorded_at', e.recorded_at) ORDER BY e.id)
                    FROM delivery_events e
                    WHERE e.message_id = d.message_id AND e.channel = d.channel AND e.recipient_id = d.recipient_id), '[]'))
                  ORDER BY d.channel, d.recipient_id)
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

  async #row(messageId: string): Promise<MessageRow | undefined> {
    const { rows } = await sql<MessageRow>`SELECT * FROM messages WHERE id = ${messageId}`.execute(this.#db);
    return rows[0];
  }
}
