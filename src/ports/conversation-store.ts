import type { ConversationType } from '../domain/conversation-rules.ts';
import type { ConversationMetadata } from '../domain/conversation-metadata.ts';
import type { Message } from '../domain/message.ts';

export type { ConversationMetadata } from '../domain/conversation-metadata.ts';

export interface Conversation {
  conversationId: string;
  type: ConversationType;
  members: string[];
  metadata: ConversationMetadata;
  createdAt: Date;
}

/** A conversation as one member sees it in their list. */
export interface ConversationSummary extends Conversation {
  /** When the last message was accepted, or the conversation created when it has none. */
  lastActivityAt: Date;
  lastMessage: Message | null;
  /** Messages from others after the member's read pointer. */
  unreadCount: number;
}

/** Where a page of a member's conversations continues: the last one shown, by activity then id. */
export interface ActivityCursor {
  /** The activity time exactly as the store keeps it (finer than a millisecond). */
  activityAt: string;
  conversationId: string;
}

export interface ConversationStore {
  /**
   * Creates the conversation; a private one only when its two members have none yet (in either order), else that
   * one is returned as it is (created false). Concurrent creates for one pair give one conversation.
   */
  create(conversation: Omit<Conversation, 'createdAt'> & { createdBy: string }): Promise<{ conversation: Conversation; created: boolean }>;
  find(conversationId: string): Promise<Conversation | undefined>;
  /** The member's conversations, most recent activity first. */
  listForMember(
    userId: string,
    page: { limit: number; after?: ActivityCursor },
  ): Promise<{ conversations: ConversationSummary[]; next: ActivityCursor | null }>;
  /** The private conversation between two users, if there is one (the canonical one, should older data hold several). */
  findPrivate(userA: string, userB: string): Promise<string | undefined>;
  /** undefined when the conversation does not exist */
  isMember(conversationId: string, userId: string): Promise<boolean | undefined>;
}
