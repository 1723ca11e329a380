import type { DeliveryStore } from '../ports/delivery-store.ts';
import type { Conversations } from './conversations.ts';

export interface ReadReceipt {
  conversationId: string;
  userId: string;
  /** The reader's pointer after the receipt: everything up to this seq is read by them. */
  upToSeq: number;
  /** How many messages had a delivery to the reader marked read by this receipt. */
  marked: number;
}

/** A member tells the hub how far they read a conversation; senders then see their messages read. */
export class ReadReceipts {
  readonly #deliveries: DeliveryStore;
  readonly #conversations: Conversations;

  constructor(deliveries: DeliveryStore, conversations: Conversations) {
    this.#deliveries = deliveries;
    this.#conversations = conversations;
  }

  async markRead(callerId: string, conversationId: string, upToSeq: number): Promise<ReadReceipt> {
    await this.#conversations.assertMember(callerId, conversationId);
    const { upToSeq: pointer, marked } = await this.#deliveries.markRead(conversationId, callerId, upToSeq);
    return { conversationId, userId: callerId, upToSeq: pointer, marked };
  }
}
