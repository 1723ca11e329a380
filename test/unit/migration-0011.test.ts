/**
 * Migration 0011 gives private conversations a unique key on their pair of members. A database that already holds
 * several private conversations for one pair migrates without failing: the oldest becomes the pair's conversation
 * (the one get-or-create returns), the others stay as they were.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { it } from 'node:test';
import { sql } from 'kysely';
import { migrate } from '../../src/adapters/sql/migrate.ts';
import { openPgliteDatabase } from '../../src/adapters/sql/pglite/pglite-database.ts';
import { SqlConversationStore } from '../../src/adapters/sql/sql-conversation-store.ts';
import { seedCluster } from '../support/pglite-template.ts';

it('keeps duplicate private pairs of an older database, making the oldest the canonical one', async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'chat4all-0011-'));
  await seedCluster(dataDir);
  const database = await openPgliteDatabase(dataDir);
  try {
    const { db } = database;
    await migrate(db, '0010-identity-claims');
    const [a, b] = [randomUUID(), randomUUID()];
    for (const id of [a, b]) await sql`INSERT INTO users (id, username, password_hash) VALUES (${id}, ${id}, 'x')`.execute(db);
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const [i, id] of ids.entries()) {
      await sql`INSERT INTO conversations (id, type, created_by, created_at) VALUES (${id}, 'private', ${a}, now() - ${3 - i} * interval '1 hour')`.execute(db);
      const members = i === 1 ? [b, a] : [a, b];
      for (const [position, user] of members.entries()) {
        await sql`INSERT INTO conversation_members (conversation_id, user_id, position) VALUES (${id}, ${user}, ${position + 1})`.execute(db);
      }
    }
    await migrate(db);
    const store = new SqlConversationStore(db);
    assert.equal(await store.findPrivate(b, a), ids[0]);
    for (const id of ids) assert.ok(await store.find(id), 'every conversation is still there');
    const again = await store.create({ conversationId: randomUUID(), type: 'private', members: [b, a], metadata: {}, createdBy: b });
    assert.deepEqual([again.created, again.conversation.conversationId], [false, ids[0]]);
  } finally {
    await database.close();
    await rm(dataDir, { recursive: true, force: true });
  }
});
