import { sql, type Transaction } from 'kysely';
import {
  MessageStatuses,
  predecessorsOf,
  settledStatus,
  type DeliveryStatus,
  type MessageStatus,
} from '../../domain/message-status.ts';

/**
 * Locks the messages' rows, in id order so two transactions never deadlock. Writers of different channels
 * then settle a message one at a time, each seeing the other's committed deliveries.
 */
export async function lockMessages(trx: Transaction<unknown>, messageIds: readonly string[]): Promise<void> {
  await sql`SELECT id FROM messages WHERE id = ANY(${[...messageIds]}::uuid[]) ORDER BY id FOR UPDATE`.execute(trx);
}

/** Gives each message the aggregate of its deliveries once they all settled (the domain decides which). */
export async function settle(trx: Transaction<unknown>, messageIds: readonly string[]): Promise<void> {
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

export interface Move {
  id: string;
  status: MessageStatus;
  reason: string | null;
}

/** Moves messages forward (never back) and records each move in their history; a move not allowed is skipped. */
export async function move(trx: Transaction<unknown>, moves: readonly Move[]): Promise<void> {
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
