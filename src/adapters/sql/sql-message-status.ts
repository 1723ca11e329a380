import { sql, type Transaction } from 'kysely';
import { HUB_EVENTS_TOPIC, messageCreated, messageStatus, type HubEvent } from '../../domain/hub-events.ts';
import {
  MessageStatuses,
  predecessorsOf,
  settledStatus,
  type DeliveryStatus,
  type MessageStatus,
} from '../../domain/message-status.ts';
import type { SqlOutboxWriter } from './sql-outbox-writer.ts';
import type { MessageRow } from './message-row.ts';

/**
 * Locks the messages' rows, in id order so two transactions never deadlock. Writers of different channels
 * then settle a message one at a time, each seeing the other's committed deliveries.
 */
export async function lockMessages(trx: Transaction<unknown>, messageIds: readonly string[]): Promise<void> {
  await sql`SELECT id FROM messages WHERE id = ANY(${[...messageIds]}::uuid[]) ORDER BY id FOR UPDATE`.execute(trx);
}

/** Gives each message the aggregate of its deliveries once they all settled (the domain decides which). */
export async function settle(trx: Transaction<unknown>, messageIds: readonly string[], outbox: SqlOutboxWriter): Promise<void> {
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
  await move(trx, moves, outbox);
}

export interface Move {
  id: string;
  status: MessageStatus;
  reason: string | null;
}

/**
 * Moves messages forward (never back), records each move in their history, and announces it: a move to
 * in_transit (the router took the message) announces the message itself first. A move not allowed is skipped.
 */
export async function move(trx: Transaction<unknown>, moves: readonly Move[], outbox: SqlOutboxWriter): Promise<void> {
  if (moves.length === 0) return;
  const { rows } = await sql<MessageRow & { previous: MessageStatus; reason: string | null; at: Date | string }>`
    WITH wanted AS (
      SELECT * FROM unnest(${moves.map((m) => m.id)}::uuid[], ${moves.map((m) => m.status)}::text[],
                           ${moves.map((m) => m.reason)}::text[]) WITH ORDINALITY AS w (id, status, reason, position)
    ), current AS (
      SELECT id, status FROM messages WHERE id = ANY(${moves.map((m) => m.id)}::uuid[])
    ), moved AS (
      UPDATE messages m SET status = w.status, updated_at = clock_timestamp()
      FROM wanted w JOIN current c ON c.id = w.id
      WHERE m.id = w.id AND m.status = ANY(
        CASE w.status ${sql.join(
          MessageStatuses.map((next) => sql`WHEN ${next} THEN ${predecessorsOf(next)}::text[]`),
          sql` `,
        )} END)
      RETURNING m.*, c.status AS previous, w.reason, w.position
    ), history AS (
      INSERT INTO message_status_history (message_id, status, reason, at)
      SELECT id, status, reason, updated_at FROM moved
    )
    SELECT *, updated_at AS at FROM moved ORDER BY position`.execute(trx);
  const events: HubEvent[] = rows.flatMap((row) => {
    const status = messageStatus(
      {
        message_id: row.id,
        conversation_id: row.conversation_id,
        seq: Number(row.seq),
        status: row.status,
        previous_status: row.previous,
        reason: row.reason,
        at: new Date(row.at).toISOString(),
      },
      row.from_user_id,
    );
    if (row.status !== 'in_transit') return [status];
    const created = messageCreated({
      message_id: row.id,
      conversation_id: row.conversation_id,
      seq: Number(row.seq),
      from: row.from_user_id,
      to: row.to_user_id,
      channels: row.channels,
      payload: row.payload,
      priority: row.priority,
      created_at: new Date(row.created_at).toISOString(),
    });
    return [created, status];
  });
  await outbox.append(trx, events.map((event) => ({ topic: HUB_EVENTS_TOPIC, key: event.conversation_id, value: event })));
}
