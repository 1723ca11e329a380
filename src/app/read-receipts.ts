import { conversationRead } from '../domain/hub-events.ts';
import { nextReadPointer } from '../domain/read-pointer.ts';
import type { LedgerStore } from '../ports/ledger-store.ts';
import type { Conversations } from './conversations.ts';

export interface ReadReceipt {
  conversationId: string;
  userId: string;
  /** The reader's pointer after the receipt: everything up to this seq is read by them. */
  upToSeq: number;
  /** How many messages had a delivery to the reader marked read by this receipt. */
  marked: number;
}

/**
 * A member tells the hub how far they read a conversation: their pointer moves forward, their deliveries handed
 * over up to there become read (those not handed over yet become read when they are), the senders see their
 * messages read, and every member is told (conversation.read), all in one transaction.
 */
export class ReadReceipts {
  readonly #ledger: LedgerStore;
  readonly #conversations: Conversations;

  constructor(ledger: LedgerStore, conversations: Conversations) {
    this.#ledger = ledger;
    this.#conversations = conversations;
  }

  async markRead(callerId: string, conversationId: string, upToSeq: number): Promise<ReadReceipt> {
    await this.#conversations.assertMember(callerId, conversationId);
    return this.#ledger.transaction(async (tx) => {
      const current = (await tx.lockReadPointer(conversationId, callerId))!;
      const pointer = nextReadPointer(current.pointer, upToSeq, current.lastSeq);
      if (pointer === current.pointer) return { conversationId, userId: callerId, upToSeq: pointer, marked: 0 };
      const messageIds = await tx.moveReadPointer(conversationId, callerId, current.pointer, pointer);
      const ledger = await tx.load(messageIds, { deliveries: true });
      ledger.announce(
        conversationRead({ conversation_id: conversationId, user_id: callerId, up_to_seq: pointer, at: new Date(ledger.now).toISOString() }),
      );
      const marked = ledger.readUpTo(callerId, pointer);
      await tx.write(ledger);
      return { conversationId, userId: callerId, upToSeq: pointer, marked: marked.length };
    });
  }
}
