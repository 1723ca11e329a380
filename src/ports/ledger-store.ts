import type { DeliveryRef, DeliveryStep, Ledger } from '../domain/ledger.ts';
import type { BusRecord } from './message-bus.ts';

export interface LoadOptions {
  /** Also load the messages' deliveries, each with its recipient's read pointer. */
  deliveries?: boolean;
  /** Also load each message's conversation members. */
  members?: boolean;
}

/** A delivery a connector still has to hand over, with the recipient's address on that channel. */
export interface PendingDelivery {
  messageId: string;
  recipientId: string;
  /** The recipient's linked address on the channel, or their user id when none is linked. */
  address: string;
}

/** What a connector's channel answered for one pending delivery. */
export interface HandOver {
  messageId: string;
  recipientId: string;
  step: DeliveryStep;
  /** A record that goes out only if the hand-over is recorded (its dead letter), in the same statement. */
  record?: BusRecord;
}

/** One transaction on the ledger: what it loads is locked until it commits, with what it wrote. */
export interface LedgerTransaction {
  /** Locks these messages (in id order, so transactions never deadlock) and loads them into a Ledger. */
  load(messageIds: readonly string[], options?: LoadOptions): Promise<Ledger>;
  /** Locks a member's read pointer; undefined when they are not a member. */
  lockReadPointer(conversationId: string, userId: string): Promise<{ pointer: number; lastSeq: number } | undefined>;
  /**
   * Moves a member's read pointer from `from` to `to` and returns the ids of the messages in between that have a
   * delivery to them not read yet (to load and mark).
   */
  moveReadPointer(conversationId: string, userId: string, from: number, to: number): Promise<string[]>;
  /**
   * Writes back everything the ledger changed, its events (one hub-events record per conversation) and `records`,
   * in one statement: what a move announces commits with the move.
   */
  write(ledger: Ledger, records?: readonly BusRecord[]): Promise<void>;
}

/**
 * Messages and their deliveries as the pipeline moves them: every change goes through a transaction that locks
 * the messages it touches, applies the domain's rules (Ledger) and writes the outcome with its outbox records.
 */
export interface LedgerStore {
  transaction<T>(work: (tx: LedgerTransaction) => Promise<T>): Promise<T>;
  /**
   * Records a connector's hand-overs at once, each only if its delivery is still pending, with their records, in one
   * statement, and returns those recorded. Their messages are settled afterwards, by a transaction that loads them
   * (Ledger.settleHandOvers): a connector records what it handed over as soon as it can, so that a crash repeats as
   * few hand-overs as possible.
   */
  recordHandOvers(channel: string, handOvers: readonly HandOver[]): Promise<HandOver[]>;
  /** Deliveries on one channel still pending for these messages, with the recipients' addresses on it. */
  pendingDeliveries(messageIds: readonly string[], channel: string): Promise<PendingDelivery[]>;
  /** The deliveries that a channel's own message ids stand for; unknown ids are left out. */
  findByProviderIds(channel: string, providerMessageIds: readonly string[]): Promise<Map<string, DeliveryRef>>;
}
