/**
 * Simulates a crash between the two steps of the dead-letter replay as it was before the lean pipeline (89e0e7c):
 * its first transaction, the requeue, committed; the dispatch it was to publish next never reached the bus, and the
 * dead letter stayed unconsumed. The one place tests write to a hub's database directly: only with no hub running
 * on `dataDir` (an embedded data dir has one owner), in one transaction.
 */
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { distributedState, type TestMode } from './test-modes.ts';

const REPLAY_REASON = 'replayed from the dead-letter topic';

type Query = (text: string, params?: unknown[]) => Promise<{ rows: Array<Record<string, unknown>> }>;

/**
 * Leaves the failed delivery of `messageId` on `channel` the way the old requeue did: pending again, its message
 * in_transit again, each with a history step giving the replay's reason, and no dispatch anywhere. On a database
 * with the lean schema (migration 0007) it writes what that migration makes of such a state: the failed
 * generation's steps kept as history rows, the step columns cleared, the message in its next generation.
 */
export async function strandReplayedDelivery(dataDir: string, mode: TestMode, messageId: string, channel: string): Promise<void> {
  await inTransaction(dataDir, mode, async (query) => {
    const { rows } = await query(`SELECT to_regclass('message_status_history') IS NOT NULL AS old_schema`);
    const strand = rows[0]!.old_schema ? strandBefore0007 : strandOn0007;
    await strand(query, messageId, channel);
    const { rows: left } = await query(
      `SELECT m.status AS message, d.status AS delivery FROM messages m JOIN deliveries d ON d.message_id = m.id
       WHERE m.id = $1 AND d.channel = $2`,
      [messageId, channel],
    );
    if (left.length !== 1 || left[0]!.message !== 'in_transit' || left[0]!.delivery !== 'pending') {
      throw new Error(`the stranded state was not made: ${JSON.stringify(left)}`);
    }
  });
}

/** The old requeue's own statements (src/adapters/sql/sql-delivery-store.ts, requeueFailed, at 6dc0502). */
async function strandBefore0007(query: Query, messageId: string, channel: string): Promise<void> {
  await query(
    `WITH requeued AS (
       UPDATE deliveries SET status = 'pending', reason = NULL, updated_at = clock_timestamp()
       WHERE message_id = $1 AND channel = $2 AND status = 'failed' RETURNING message_id, channel, recipient_id)
     INSERT INTO delivery_events (message_id, channel, recipient_id, status, reason)
     SELECT message_id, channel, recipient_id, 'pending', $3 FROM requeued`,
    [messageId, channel, REPLAY_REASON],
  );
  await query(
    `WITH reopened AS (
       UPDATE messages SET status = 'in_transit', updated_at = clock_timestamp() WHERE id = $1 AND status = 'failed' RETURNING id)
     INSERT INTO message_status_history (message_id, status, reason) SELECT id, 'in_transit', $2 FROM reopened`,
    [messageId, REPLAY_REASON],
  );
}

/** The same state as migration 0007 converts it: history rows for the generation before, columns for the current. */
async function strandOn0007(query: Query, messageId: string, channel: string): Promise<void> {
  await query(
    `INSERT INTO delivery_events (message_id, channel, recipient_id, status, reason, channel_at, recorded_at)
     SELECT d.message_id, d.channel, d.recipient_id, s.status, s.reason, s.channel_at, s.at
     FROM deliveries d,
          LATERAL (VALUES (1, 'sent', NULL, d.sent_at, d.sent_channel_at), (2, 'delivered', NULL, d.delivered_at, d.delivered_channel_at),
                          (3, 'read', NULL, d.read_at, d.read_channel_at), (4, 'failed', d.reason, d.failed_at, d.failed_channel_at),
                          (5, 'pending', $3::text, clock_timestamp(), NULL)) AS s (position, status, reason, at, channel_at)
     WHERE d.message_id = $1 AND d.channel = $2 AND d.status = 'failed' AND s.at IS NOT NULL
     ORDER BY d.recipient_id, s.position`,
    [messageId, channel, REPLAY_REASON],
  );
  await query(
    `UPDATE deliveries SET status = 'pending', reason = NULL, updated_at = clock_timestamp(),
       sent_at = NULL, sent_channel_at = NULL, delivered_at = NULL, delivered_channel_at = NULL,
       read_at = NULL, read_channel_at = NULL, failed_at = NULL, failed_channel_at = NULL
     WHERE message_id = $1 AND channel = $2 AND status = 'failed'`,
    [messageId, channel],
  );
  await query(
    `INSERT INTO message_events (message_id, status, reason, at)
     SELECT m.id, s.status, s.reason, s.at FROM messages m,
            LATERAL (VALUES (1, 'failed', m.reason, m.failed_at), (2, 'in_transit', $2::text, clock_timestamp())) AS s (position, status, reason, at)
     WHERE m.id = $1 AND m.status = 'failed'
     ORDER BY s.position`,
    [messageId, REPLAY_REASON],
  );
  await query(
    `UPDATE messages SET status = 'in_transit', reason = NULL, failed_at = NULL, generation = generation + 1, updated_at = clock_timestamp()
     WHERE id = $1 AND status = 'failed'`,
    [messageId],
  );
}

async function inTransaction(dataDir: string, mode: TestMode, work: (query: Query) => Promise<void>): Promise<void> {
  if (mode === 'embedded') {
    const db = await PGlite.create(path.join(dataDir, 'pglite'));
    try {
      await db.transaction((tx) => work((text, params) => tx.query(text, params)));
    } finally {
      await db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: distributedState(dataDir).url });
  await client.connect();
  try {
    await client.query('BEGIN');
    await work((text, params) => client.query(text, params));
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    await client.end();
  }
}
