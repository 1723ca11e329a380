import type { DeliveryEventStatus } from '../domain/message-status.ts';
import type { BusRecord } from './message-bus.ts';

export interface PlannedDelivery {
  messageId: string;
  channel: string;
  recipientId: string;
  /** Set when the delivery cannot even be attempted (e.g. the channel is not registered). */
  failure?: string;
}

/** Something that happened to one delivery on a channel: handed over (sent), delivered, read or failed. */
export interface DeliveryEvent {
  messageId: string;
  recipientId: string;
  status: DeliveryEventStatus;
  reason: string | null;
  /** The channel's id for the delivery, learnt when it was handed over. */
  providerMessageId?: string;
  /** When the channel says it happened; null when only the hub's own clock knows. */
  channelAt: Date | null;
}

/** Which delivery a channel's own message id stands for. */
export interface DeliveryRef {
  messageId: string;
  recipientId: string;
}

/** The per-recipient, per-channel side of messages: planned by the router, moved forward by channels. */
export interface DeliveryStore {
  /** Members of each conversation, in the order they were given. */
  members(conversationIds: readonly string[]): Promise<Map<string, string[]>>;
  /**
   * Records planned deliveries (idempotent), moves their messages from accepted to in_transit, and settles
   * a message at once when none of its deliveries can be attempted.
   */
  planDeliveries(plan: readonly PlannedDelivery[]): Promise<void>;
  /** Deliveries on one channel that are still pending, for the given messages. */
  pendingDeliveries(messageIds: readonly string[], channel: string): Promise<DeliveryRef[]>;
  /**
   * Applies events to deliveries on one channel, in the order given, each only if it moves its delivery forward;
   * records each applied one in the delivery's history and settles the messages whose deliveries all settled.
   * Returns the events applied (a repeated or late event is not).
   */
  recordDeliveryEvents(
    channel: string,
    events: readonly DeliveryEvent[],
    /** Records to put in the outbox in the same transaction, given the events applied (e.g. dead letters). */
    alsoPublish?: (applied: readonly DeliveryEvent[]) => BusRecord[],
  ): Promise<DeliveryEvent[]>;
  /**
   * An operator's replay of dead letters: moves these failed deliveries back to pending (and their messages back
   * to in_transit) so they are tried again; returns those moved. The one way back from failed, on purpose.
   */
  requeueFailed(channel: string, refs: readonly DeliveryRef[], reason: string): Promise<DeliveryRef[]>;
  /**
   * A read receipt: moves the reader's read pointer forward to `upToSeq` (never back, never past the last message)
   * and marks the reader's handed-over deliveries up to there read, on every channel; deliveries still to be handed
   * over are marked read as soon as they are. Returns the pointer and how many messages got a delivery marked read.
   */
  markRead(conversationId: string, readerId: string, upToSeq: number): Promise<{ upToSeq: number; marked: number }>;
  /** The deliveries that a channel's own message ids stand for; unknown ids are left out. */
  findByProviderIds(channel: string, providerMessageIds: readonly string[]): Promise<Map<string, DeliveryRef>>;
}
