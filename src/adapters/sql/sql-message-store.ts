import { sql } from 'kysely';
import type { Delivery, Message, MessageDetail, SendCommand } from '../../domain/message.ts';
import type { DeliveryStatus, MessageStatus } from '../../domain/message-status.ts';
import type { AcceptOutcome, MessageStore, SeqPage } from '../../ports/message-store.ts';
import { BatchAccept, type BatchAcceptOptions } from './batch-accept.ts';
import { toMessage, type MessageRow } from './message-row.ts';
import type { Db } from './sql-database.ts';

interface DeliveryRow {
  channel: string;
  recipient_id: string;
  status: DeliveryStatus;
  reason: string | null;
  provider_message_id: string | null;
  updated_at: Date | string;
  history: Array<{ status: DeliveryStatus; reason: string | null; channel_at: string | null; recorded_at: string }>;
}

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
  readonly #batches: BatchAccept;

  constructor(db: Db, options: BatchAcceptOptions) {
    this.#db = db;
    this.#batches = new BatchAccept(db, options);
  }

  /** Concurrent accepts share statements (see BatchAccept): same checks and guarantees, far fewer round trips. */
  accept(command: SendCommand, fingerprint: string): Promise<AcceptOutcome> {
    return this.#batches.accept({ command, fingerprint });
  }

  async list(conversationId: string, page: { limit: number; offset: number }): Promise<{ messages: Message[]; total: number }> {
    const { rows } = await sql<MessageRow>`
      SELECT * FROM messages WHERE conversation_id = ${conversationId}
      ORDER BY seq LIMIT ${page.limit} OFFSET ${page.offset}`.execute(this.#db);
    // Seqs are gap-free from 1 and messages are never deleted one by one, so the last seq is the count
    // (count(*) reads every index entry: a million on a million-message conversation).
    const counted = await sql<{ n: number | string }>`
      SELECT last_seq AS n FROM conversations WHERE id = ${conversationId}`.execute(this.#db);
    return { messages: rows.map(toMessage), total: Number(counted.rows[0]?.n ?? 0) };
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
}
