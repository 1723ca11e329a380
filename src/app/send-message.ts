import { DomainError, ErrorCodes } from '../domain/errors.ts';
import { fingerprint, type Message, type Payload, type SendCommand } from '../domain/message.ts';
import type { FileCatalog } from '../ports/file-catalog.ts';
import type { MessageStore } from '../ports/message-store.ts';
import { notFound, notMember, type Conversations } from './conversations.ts';
import { FileAccess } from './file-access.ts';

export interface SendResult {
  message: Message;
  /** true when this request repeated an earlier one and nothing new was stored */
  replayed: boolean;
}

export class SendMessage {
  readonly #messages: MessageStore;
  readonly #files: FileAccess;
  readonly #conversations: Conversations;

  constructor(messages: MessageStore, files: FileCatalog, conversations: Conversations) {
    this.#messages = messages;
    this.#files = new FileAccess(files);
    this.#conversations = conversations;
  }

  async send(callerId: string, command: SendCommand): Promise<SendResult> {
    if (command.from !== callerId) {
      throw new DomainError(ErrorCodes.SENDER_MISMATCH, 'Access denied: "from" must be the authenticated user', {
        from: ['must equal the id of the authenticated user'],
      });
    }
    if (command.payload.type === 'file') {
      await this.#conversations.assertMember(callerId, command.conversationId);
      command = { ...command, payload: await this.#filePayload(callerId, command.payload.file_id) };
    }
    const print = fingerprint(command);
    const outcome = await this.#messages.accept(command, print);
    switch (outcome.kind) {
      case 'accepted':
        return { message: outcome.message, replayed: false };
      case 'duplicate':
        if (outcome.fingerprint !== print) {
          throw new DomainError(
            ErrorCodes.IDEMPOTENCY_CONFLICT,
            `message_id ${command.messageId} was already used for a different message; use a new message_id`,
          );
        }
        return { message: outcome.message, replayed: true };
      case 'conversation_not_found':
        throw notFound();
      case 'not_a_member':
        throw notMember();
      case 'recipient_not_member':
        throw new DomainError(ErrorCodes.RECIPIENT_NOT_MEMBER, '"to" must be a member of the conversation', {
          to: ['must be a member of the conversation'],
        });
    }
  }

  /** A completed file the sender uploaded or can already see in one of their conversations, described. */
  async #filePayload(callerId: string, fileId: string): Promise<Payload> {
    // A file the sender cannot see is reported as missing: its existence is not theirs to learn.
    const file = await this.#files.visible(callerId, fileId);
    if (file.status !== 'completed') {
      throw new DomainError(ErrorCodes.FILE_NOT_COMPLETED, `File ${fileId} has not completed its upload (status ${file.status})`);
    }
    return { type: 'file', file_id: fileId, filename: file.filename, file_size: file.fileSize, content_type: file.contentType };
  }
}
