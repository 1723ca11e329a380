import { sql } from 'kysely';
import type { ConversationType } from '../../domain/conversation-rules.ts';
import type {
  ActivityCursor,
  Conversation,
  ConversationMetadata,
  ConversationStore,
  ConversationSummary,
} from '../../ports/conversation-store.ts';
import type { Db } from './sql-database.ts';
import { toMessage, type MessageRow } from './message-row.ts';

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

  async create(conversation: Omit<Conversation, 'createdAt'> & { createdBy: string }): Promise<{ conversation: Conversation; created: boolean }> {
    const [first, second] = conversation.members;
    // The pair, lower id first, is the unique key of a private conversation (migration 0011): a create that
    // collides with an existing one, or a concurrent one, inserts nothing and reads that one instead.
    const pair = conversation.type === 'private' ? sql`least(${first}::uuid, ${second}::uuid), greatest(${first}::uuid, ${second}::uuid)` : sql`NULL, NULL`;
    const { rows } = await sql<{ created_at: Date }>`
      WITH created AS (
        INSERT INTO conversations (id, type, metadata, created_by, private_low, private_high)
        VALUES (${conversation.conversationId}, ${conversation.type}, ${JSON.stringify(conversation.metadata)}::jsonb,
                ${conversation.createdBy}, ${pair})
        ON CONFLICT (private_low, private_high) DO NOTHING
        RETURNING id, created_at
      ), members AS (
        INSERT INTO conversation_members (conversation_id, user_id, position)
        SELECT created.id, member.user_id, member.position
        FROM created, unnest(${conversation.members}::uuid[]) WITH ORDINALITY AS member (user_id, position)
      )
      SELECT created_at FROM created`.execute(this.#db);
    const { createdBy: _, ...rest } = conversation;
    if (rows[0]) return { conversation: { ...rest, createdAt: rows[0].created_at }, created: true };
    const existing = await this.find((await this.findPrivate(first!, second!))!);
    return { conversation: existing!, created: false };
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

  async listForMember(
    userId: string,
    page: { limit: number; after?: ActivityCursor },
  ): Promise<{ conversations: ConversationSummary[]; next: ActivityCursor | null }> {
    const { after } = page;
    // The page is chosen first; the last message and unread count are then computed for its rows only.
    const { rows } = await sql<ConversationRow & {
      activity: Date | string;
      activity_key: string;
      last_message: MessageRow | null;
      unread: number | string;
    }>`
      WITH page AS (
        SELECT c.id, c.type, c.metadata, c.created_at, coalesce(c.last_message_at, c.created_at) AS activity,
               me.last_read_seq
        FROM conversation_members me JOIN conversations c ON c.id = me.conversation_id
        WHERE me.user_id = ${userId}
          ${after ? sql`AND (coalesce(c.last_message_at, c.created_at), c.id) < (${after.activityAt}::timestamptz, ${after.conversationId}::uuid)` : sql``}
        ORDER BY activity DESC, c.id DESC
        LIMIT ${page.limit + 1}
      )
      SELECT p.id, p.type, p.metadata, p.created_at, p.activity, p.activity::text AS activity_key,
             array(SELECT user_id FROM conversation_members WHERE conversation_id = p.id ORDER BY position) AS members,
             (SELECT to_jsonb(m) FROM messages m WHERE m.conversation_id = p.id ORDER BY m.seq DESC LIMIT 1) AS last_message,
             (SELECT count(*) FROM messages m
              WHERE m.conversation_id = p.id AND m.seq > p.last_read_seq AND m.from_user_id <> ${userId}) AS unread
      FROM page p
      ORDER BY p.activity DESC, p.id DESC`.execute(this.#db);
    const shown = rows.slice(0, page.limit);
    const last = shown.at(-1);
    return {
      conversations: shown.map((row) => ({
        conversationId: row.id,
        type: row.type,
        metadata: row.metadata,
        members: row.members,
        createdAt: row.created_at,
        lastActivityAt: new Date(row.activity),
        lastMessage: row.last_message && toMessage(row.last_message),
        unreadCount: Number(row.unread),
      })),
      next: rows.length > page.limit && last ? { activityAt: last.activity_key, conversationId: last.id } : null,
    };
  }

  async findPrivate(userA: string, userB: string): Promise<string | undefined> {
    const { rows } = await sql<{ id: string }>`
      SELECT id FROM conversations
      WHERE private_low = least(${userA}::uuid, ${userB}::uuid) AND private_high = greatest(${userA}::uuid, ${userB}::uuid)`.execute(this.#db);
    return rows[0]?.id;
  }

  async isMember(conversationId: string, userId: string): Promise<boolean | undefined> {
    const { rows } = await sql<{ member: boolean }>`
      SELECT EXISTS (SELECT 1 FROM conversation_members WHERE conversation_id = c.id AND user_id = ${userId}) AS member
      FROM conversations c WHERE c.id = ${conversationId}`.execute(this.#db);
    return rows[0]?.member;
  }
}
