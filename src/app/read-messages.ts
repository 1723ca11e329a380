import { DomainError, ErrorCodes } from '../domain/errors.ts';
import type { Message, MessageDetail } from '../domain/message.ts';
import type { MessageStore, SeqPage } from '../ports/message-store.ts';
import type { Conversations } from './conversations.ts';

export class ReadMessages {
  readonly #messages: MessageStore;
  readonly #conversations: Conversations;

  constructor(messages: MessageStore, conversations: Conversations) {
    this.#messages = messages;
    this.#conversations = conversations;
  }

  async list(
    callerId: string,
    conversationId: string,
    page: { limit: number; offset: number },
  ): Promise<{ messages: Message[]; total: number }> {
    await this.#conversations.assertMember(callerId, conversationId);
    return this.#messages.list(conversationId, page);
  }

  /** A page next to a seq (cursor paging): the same cost however deep in the conversation. */
  async listBySeq(
    callerId: string,
    conversationId: string,
    page: SeqPage,
  ): Promise<{ messages: Message[]; hasMore: boolean }> {
    await this.#conversations.assertMember(callerId, conversationId);
    return this.#messages.listBySeq(conversationId, page);
  }

  /** A message with its history and deliveries, for members of its conversation. */
  async get(callerId: string, messageId: string): Promise<MessageDetail> {
    const message = await this.#messages.find(messageId);
    if (!message) throw missing(messageId);
    await this.#conversations.assertMember(callerId, message.conversationId);
    return message;
  }
}

function missing(messageId: string): DomainError {
  return new DomainError(ErrorCodes.MESSAGE_NOT_FOUND, `Message ${messageId} not found`);
}
