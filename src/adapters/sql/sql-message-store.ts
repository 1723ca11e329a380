import { sql } from 'kysely';
import { DeliverySteps, MessageSteps, type ArchivedStep, type DeliveryState } from '../../domain/ledger.ts';
import type { Delivery, Message, MessageDetail, SendCommand } from '../../domain/message.ts';
import type { DeliveryStatus } from '../../domain/message-status.ts';
import { deliveryHistory, messageHistory } from '../../domain/status-history.ts';
import type { AcceptOutcome, MessageStore, SeqPage } from '../../ports/message-store.ts';
import { BatchAccept, type BatchAcceptOptions } from './batch-accept.ts';
import { toMessage, type MessageRow } from './message-row.ts';
import type { Db } from './sql-database.ts';

/** A delivery as to_jsonb renders it (times as ISO text, to the microsecond), with its archived steps. */
interface DeliveryJson {
  channel: string;
  recipient_id: string;
  status: DeliveryStatus;
  reason: string | null;
  provider_message_id: string | null;
  created_at: string;
  updated_at: string;
  archived: ArchivedStep[];
  [column: string]: unknown;
}

const stepsOf = (row: Record<string, unknown>): DeliveryState['steps'] =>
  Object.fromEntries(
    DeliverySteps.flatMap((status) =>
      row[`${status}_at`] ? [[status, { at: row[`${status}_at`] as string, channelAt: (row[`${status}_channel_at`] as string | null) ?? null }]] : [],
    ),
  );

const toDelivery = (row: DeliveryJson): Delivery => ({
  channel: row.channel,
  recipientId: row.recipient_id,
  status: row.status,
  reason: row.reason,
  providerMessageId: row.provider_message_id,
  updatedAt: new Date(row.updated_at),
  history: deliveryHistory({ createdAt: row.created_at, steps: stepsOf(row), reason: row.reason }, row.archived),
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
    const archivedSteps = (table: string, match: string) => sql.raw(`coalesce((
      SELECT jsonb_agg(jsonb_build_object('status', h.status, 'reason', h.reason, 'at', h.${table === 'message_events' ? 'at' : 'recorded_at'},
                                          'channelAt', ${table === 'message_events' ? 'NULL' : 'h.channel_at'}) ORDER BY h.id)
      FROM ${table} h WHERE ${match}), '[]')`);
    const { rows } = await sql<MessageRow & { times: Record<string, string | null>; archived: ArchivedStep[]; deliveries: DeliveryJson[] }>`
      SELECT m.*, jsonb_build_object('created_at', m.created_at, ${sql.raw(MessageSteps.map((s) => `'${s}', m.${s}_at`).join(', '))}) AS times,
        ${archivedSteps('message_events', 'h.message_id = m.id')} AS archived,
        coalesce((SELECT jsonb_agg(to_jsonb(d) || jsonb_build_object('archived',
                    ${archivedSteps('delivery_events', 'h.message_id = d.message_id AND h.channel = d.channel AND h.recipient_id = d.recipient_id')})
                  ORDER BY d.channel, d.recipient_id)
                  FROM deliveries d WHERE d.message_id = m.id), '[]') AS deliveries
      FROM messages m WHERE m.id = ${messageId}`.execute(this.#db);
    const row = rows[0];
    if (!row) return undefined;
    const times = Object.fromEntries(MessageSteps.flatMap((status) => (row.times[status] ? [[status, row.times[status]!]] : [])));
    return {
      ...toMessage(row),
      history: messageHistory({ createdAt: row.times.created_at!, times, reason: row.reason ?? null }, row.archived),
      deliveries: row.deliveries.map(toDelivery),
    };
  }
}
