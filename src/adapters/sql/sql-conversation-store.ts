import { sql } from 'kysely';
import type { ConversationType } from '../../domain/conversation-rules.ts';
import type { Conversation, ConversationMetadata, ConversationStore } from '../../ports/conversation-store.ts';
import type { Db } from './sql-database.ts';

interface ConversationRow {
  id: string;
  type: ConversationType;
  metadata: ConversationMetadata;
  created_at: Date;
  members: string[];
}

export class SqlConversationStore implements ConversationStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async create(conversation: Omit<Conversation, 'createdAt'> & { createdBy: string }): Promise<Conversation> {
    const { rows } = await sql<{ created_at: Date }>`
      WITH created AS (
        INSERT INTO conversations (id, type, metadata, created_by)
        VALUES (${conversation.conversationId}, ${conversation.type}, ${JSON.stringify(conversation.metadata)}::jsonb,
                ${conversation.createdBy})
        RETURNING id, created_at
      ), members AS (
        INSERT INTO conversation_members (conversation_id, user_id, position)
        SELECT created.id, member.user_id, member.position
        FROM created, unnest(${conversation.members}::uuid[]) WITH ORDINALITY AS member (user_id, position)
      )
      SELECT created_at FROM created`.execute(this.#db);
    const { createdBy: _, ...rest } = conversation;
    return { ...rest, createdAt: rows[0]!.created_at };
  }

  async find(conversationId: string): Promise<Conversation | undefined> {
    const { rows } = await sql<ConversationRow>`
      SELECT c.id, c.type, c.metadata, c.created_at,
             array(SELECT user_id FROM conversation_members WHERE conversation_id = c.id ORDER BY position) AS members
      FROM conversations c WHERE c.id = ${conversationId}`.execute(this.#db);
    const row = rows[0];
    return (
      row && {
        conversationId: row.id,
        type: row.type,
        metadata: row.metadata,
        members: row.members,
        createdAt: row.created_at,
      }
    );
  }

  async isMember(conversationId: string, userId: string): Promise<boolean | undefined> {
    const { rows } = await sql<{ member: boolean }>`
      SELECT EXISTS (SELECT 1 FROM conversation_members WHERE conversation_id = c.id AND user_id = ${userId}) AS member
      FROM conversations c WHERE c.id = ${conversationId}`.execute(this.#db);
    return rows[0]?.member;
  }
}
