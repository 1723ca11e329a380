import { randomUUID } from 'node:crypto';
import { checkMembers, type ConversationType } from '../domain/conversation-rules.ts';
import { checkMetadata } from '../domain/conversation-metadata.ts';
import { DomainError, ErrorCodes } from '../domain/errors.ts';
import type {
  ActivityCursor,
  Conversation,
  ConversationMetadata,
  ConversationStore,
  ConversationSummary,
} from '../ports/conversation-store.ts';
import type { UserStore } from '../ports/user-store.ts';

export class Conversations {
  readonly #conversations: ConversationStore;
  readonly #users: UserStore;

  constructor(conversations: ConversationStore, users: UserStore) {
    this.#conversations = conversations;
    this.#users = users;
  }

  /**
   * A group conversation is created each time; a private one once per pair of users, as chat APIs do for direct
   * messages: asked again (by either member, in either order) the existing one is returned as it is, created
   * false, and the metadata of the later request is not applied (members change it through their own means).
   */
  async create(
    callerId: string,
    request: { type: ConversationType; members: string[]; metadata?: ConversationMetadata },
  ): Promise<{ conversation: Conversation; created: boolean }> {
    const members = checkMembers(request.type, request.members, callerId);
    if (request.metadata) checkMetadata(request.metadata);
    const known = await this.#users.existing(members);
    const unknown = members.filter((id) => !known.has(id));
    if (unknown.length > 0) {
      throw new DomainError(ErrorCodes.UNKNOWN_MEMBERS, `Unknown user ids in members: ${unknown.join(', ')}`, {
        members: unknown.map((id) => `unknown user id ${id}`),
      });
    }
    return this.#conversations.create({
      conversationId: randomUUID(),
      type: request.type,
      members,
      metadata: request.metadata ?? {},
      createdBy: callerId,
    });
  }

  /** The conversation, if the caller is one of its members. */
  async get(callerId: string, conversationId: string): Promise<Conversation> {
    const conversation = await this.#conversations.find(conversationId);
    if (!conversation) throw notFound();
    if (!conversation.members.includes(callerId)) throw notMember();
    return conversation;
  }

  /** The caller's conversations, most recent activity first, with their last message and unread count. */
  list(callerId: string, page: { limit: number; after?: ActivityCursor }): Promise<{ conversations: ConversationSummary[]; next: ActivityCursor | null }> {
    return this.#conversations.listForMember(callerId, page);
  }

  async assertMember(callerId: string, conversationId: string): Promise<void> {
    const member = await this.#conversations.isMember(conversationId, callerId);
    if (member === undefined) throw notFound();
    if (!member) throw notMember();
  }
}

export function notFound(): DomainError {
  return new DomainError(ErrorCodes.CONVERSATION_NOT_FOUND, 'Conversation not found');
}

export function notMember(): DomainError {
  return new DomainError(ErrorCodes.NOT_A_MEMBER, 'Access denied: not a conversation member');
}
