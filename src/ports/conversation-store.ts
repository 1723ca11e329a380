import type { ConversationType } from '../domain/conversation-rules.ts';

export interface ConversationMetadata {
  name?: string;
  description?: string;
}

export interface Conversation {
  conversationId: string;
  type: ConversationType;
  members: string[];
  metadata: ConversationMetadata;
  createdAt: Date;
}

export interface ConversationStore {
  create(conversation: Omit<Conversation, 'createdAt'> & { createdBy: string }): Promise<Conversation>;
  find(conversationId: string): Promise<Conversation | undefined>;
  /** undefined when the conversation does not exist */
  isMember(conversationId: string, userId: string): Promise<boolean | undefined>;
}
