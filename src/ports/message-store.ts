import type { Delivery, Message, MessageDetail, SendCommand } from '../domain/message.ts';
import type { DeliveryStatus } from '../domain/message-status.ts';

export type AcceptOutcome =
  | { kind: 'accepted'; message: Message }
  | { kind: 'duplicate'; message: Message; fingerprint: string }
  | { kind: 'conversation_not_found' }
  | { kind: 'not_a_member' }
  | { kind: 'recipient_not_member' };

export interface DeliveryOutcome {
  recipientId: string;
  status: Exclude<DeliveryStatus, 'pending'>;
  reason: string | null;
}

export interface MessageStore {
  /**
   * Stores the message, its first status and its outbox record in one atomic write, unless a message
   * with that id exists already (then returns it with its fingerprint for the caller to compare).
   */
  accept(command: SendCommand, fingerprint: string): Promise<AcceptOutcome>;
  list(conversationId: string, page: { limit: number; offset: number }): Promise<{ messages: Message[]; total: number }>;
  find(messageId: string): Promise<MessageDetail | undefined>;
  /** Members who receive a message: everyone in the conversation but the sender. */
  recipients(conversationId: string, senderId: string): Promise<string[]>;
  /** Records the planned deliveries (idempotent) and moves the message to in_transit if it was accepted. */
  planDeliveries(messageId: string, plan: Array<{ channel: string; recipientId: string; failure?: string }>): Promise<void>;
  /** Deliveries of a message on one channel that are still pending. */
  pendingDeliveries(messageId: string, channel: string): Promise<Delivery[]>;
  /**
   * Records outcomes of pending deliveries and settles the message once none is pending.
   * Returns the recipients whose delivery this call moved (a repeated call moves none).
   */
  recordDeliveries(messageId: string, channel: string, outcomes: DeliveryOutcome[]): Promise<DeliveryOutcome[]>;
}
