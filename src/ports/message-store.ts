import type { Message, MessageDetail, SendCommand } from '../domain/message.ts';
import type { DeliveryStatus } from '../domain/message-status.ts';

export type AcceptOutcome =
  | { kind: 'accepted'; message: Message }
  | { kind: 'duplicate'; message: Message; fingerprint: string }
  | { kind: 'conversation_not_found' }
  | { kind: 'not_a_member' }
  | { kind: 'recipient_not_member' };

/**
 * Which messages of a conversation to list, in seq order: after `afterSeq` and/or before `beforeSeq` (cursors,
 * as cheap on page 10,000 as on page 1), skipping `offset`. With only `beforeSeq`, the last `limit` before it.
 */
export interface MessagePage {
  limit: number;
  offset: number;
  afterSeq?: number;
  beforeSeq?: number;
}

export interface PlannedDelivery {
  messageId: string;
  channel: string;
  recipientId: string;
  /** Set when the delivery cannot even be attempted (e.g. the channel is not registered). */
  failure?: string;
}

export interface DeliveryOutcome {
  messageId: string;
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
  /** A page in seq order; `total` counts the conversation's messages. */
  list(conversationId: string, page: MessagePage): Promise<{ messages: Message[]; total: number }>;
  find(messageId: string): Promise<MessageDetail | undefined>;
  /** Members of each conversation, in the order they were given. */
  members(conversationIds: readonly string[]): Promise<Map<string, string[]>>;
  /**
   * Records planned deliveries (idempotent), moves their messages from accepted to in_transit, and settles
   * a message at once when none of its deliveries can be attempted.
   */
  planDeliveries(plan: readonly PlannedDelivery[]): Promise<void>;
  /** Deliveries on one channel that are still pending, for the given messages. */
  pendingDeliveries(messageIds: readonly string[], channel: string): Promise<Array<{ messageId: string; recipientId: string }>>;
  /**
   * Records outcomes of pending deliveries and settles each message once none of its deliveries is pending.
   * Returns the outcomes this call recorded (a repeated call records none).
   */
  recordDeliveries(channel: string, outcomes: readonly DeliveryOutcome[]): Promise<DeliveryOutcome[]>;
}
