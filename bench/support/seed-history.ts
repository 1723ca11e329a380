import type { TestMode } from '../../test/support/test-modes.ts';
import { withHubDatabase } from './hub-database.ts';

const CHUNK = 100_000;

const INSERT = `
  INSERT INTO messages (id, conversation_id, seq, from_user_id, to_user_id, channels, payload, priority, status, request_hash)
  SELECT gen_random_uuid(), $1, g, $2, NULL, '{whatsapp}', jsonb_build_object('type', 'text', 'text', 'history message ' || g),
         'normal', 'delivered', md5(g::text)
  FROM generate_series($3::bigint, $4::bigint) AS g`;

/**
 * Fills a conversation with `count` delivered messages (seq 1..count) straight in the hub's database, as a
 * long-lived conversation would have; far faster than sending them. The embedded hub must be stopped.
 */
export async function seedHistory(mode: TestMode, dataDir: string, conversationId: string, senderId: string, count: number): Promise<void> {
  await withHubDatabase(mode, dataDir, async (query) => {
    for (let first = 1; first <= count; first += CHUNK) {
      await query(INSERT, [conversationId, senderId, first, Math.min(count, first + CHUNK - 1)]);
    }
    await query('UPDATE conversations SET last_seq = $1 WHERE id = $2', [count, conversationId]);
    // What autovacuum would have done on a table that grew this big.
    await query('VACUUM ANALYZE messages');
  });
}
