import type { Message, MessageDetail, SendCommand } from '../domain/message.ts';

export type AcceptOutcome =
  | { kind: 'accepted'; message: Message }
  | { kind: 'duplicate'; message: Message; fingerprint: string }
  | { kind: 'conversation_not_found' }
  | { kind: 'not_a_member' }
  | { kind: 'recipient_not_member' };

/** A page by seq: after one (reading on), before one (scrolling back), or between two. */
export interface SeqPage {
  limit: number;
  afterSeq?: number;
  beforeSeq?: number;
}

export interface MessageStore {
  /**
   * Stores the message, its first status and its outbox record in one atomic write, unless a message
   * with that id exists already (then returns it with its fingerprint for the caller to compare).
   */
  accept(command: SendCommand, fingerprint: string): Promise<AcceptOutcome>;
  list(conversationId: string, page: { limit: number; offset: number }): Promise<{ messages: Message[]; total: number }>;
  listBySeq(conversationId: string, page: SeqPage): Promise<{ messages: Message[]; hasMore: boolean }>;
  find(messageId: string): Promise<MessageDetail | undefined>;
}
