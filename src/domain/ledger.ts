import { eventsOfMove, type HubEvent } from './hub-events.ts';
import type { Payload, Priority } from './message.ts';
import {
  deliveryPredecessorsOf,
  predecessorsOf,
  settledStatus,
  type DeliveryEventStatus,
  type DeliveryStatus,
  type MessageStatus,
} from './message-status.ts';

/** The steps a delivery records with a time of its own, after pending (which is its creation). */
export const DeliverySteps = ['sent', 'delivered', 'read', 'failed'] as const satisfies readonly DeliveryEventStatus[];
/** The statuses a message records with a time of its own, after accepted (which is its creation). */
export const MessageSteps = ['in_transit', 'delivered', 'read', 'failed'] as const satisfies readonly MessageStatus[];
export type MessageStep = (typeof MessageSteps)[number];

/** When a step happened: our time, and the channel's when it said. Times are kept as the database wrote them. */
export interface StepTime {
  at: string;
  channelAt: string | null;
}

/** A message as it stands in the database, locked for the transaction that looks at it. */
export interface MessageState {
  messageId: string;
  conversationId: string;
  seq: number;
  from: string;
  to: string | null;
  channels: string[];
  payload: Payload;
  priority: Priority;
  createdAt: string;
  status: MessageStatus;
  reason: string | null;
  /** Dead-letter replays so far: what a later generation reports is a new fact. */
  generation: number;
  times: Partial<Record<MessageStep, string>>;
  /** The conversation's members in their order, when the transaction asked for them. */
  members?: string[];
}

export interface DeliveryRef {
  messageId: string;
  channel: string;
  recipientId: string;
}

export interface DeliveryState extends DeliveryRef {
  status: DeliveryStatus;
  reason: string | null;
  providerMessageId: string | null;
  steps: Partial<Record<DeliveryEventStatus, StepTime>>;
  /** How far the recipient has read the conversation (their read pointer). */
  readUpTo: number;
}

/** A step of a generation before a replay, kept as a row of its own because the columns hold the current one. */
export interface ArchivedStep {
  status: DeliveryStatus | MessageStatus;
  reason: string | null;
  at: string;
  channelAt: string | null;
}

/** What a transaction writes back: every row it changed, in full, and the events announcing the moves. */
export interface LedgerChanges {
  messages: MessageState[];
  /** Deliveries created by this transaction (routing). */
  created: DeliveryState[];
  updated: DeliveryState[];
  messageArchive: Array<{ messageId: string } & ArchivedStep>;
  deliveryArchive: Array<DeliveryRef & ArchivedStep>;
  events: HubEvent[];
}

/** What a channel or the hub says about one delivery. */
export interface DeliveryStep {
  status: DeliveryEventStatus;
  reason?: string | null;
  /** When the channel says it happened. */
  channelAt?: Date | null;
  /** The channel's own id for the delivery, learnt when it is handed over. */
  providerMessageId?: string;
  /** Whether the same hand-over also made it sent (a channel that answers "delivered" at once). */
  sentToo?: boolean;
}

/** Where one message goes: a channel and its recipients, or why it cannot go there at all. */
export interface RouteLeg {
  channel: string;
  recipients: readonly string[];
  failure?: string;
}

const deliveryKey = (ref: DeliveryRef) => `${ref.messageId}\u0000${ref.channel}\u0000${ref.recipientId}`;

/**
 * The rules of a message's life, applied to the locked state of some messages and their deliveries in memory:
 * statuses only move forward, a message carries the aggregate of its deliveries, each move announces itself (hub
 * events), a delivery handed over to a recipient who already read that far is read, and a dead-letter replay is the
 * one way back from failed. A transaction loads the state, applies steps here, and writes back `changes()` with
 * the records announcing them in one statement, so nothing is decided in SQL.
 */
export class Ledger {
  readonly #now: string;
  readonly #messages = new Map<string, MessageState>();
  readonly #deliveries = new Map<string, DeliveryState>();
  readonly #byMessage = new Map<string, DeliveryState[]>();
  readonly #dirtyMessages = new Set<string>();
  readonly #created = new Set<string>();
  readonly #updated = new Set<string>();
  /** Messages whose deliveries changed: their aggregate is looked at again by settle(). */
  readonly #unsettled = new Set<string>();
  readonly #events: HubEvent[] = [];
  readonly #messageArchive: LedgerChanges['messageArchive'] = [];
  readonly #deliveryArchive: LedgerChanges['deliveryArchive'] = [];

  /** `now` is the database's time for this transaction, as it writes timestamps. */
  constructor(now: string, messages: readonly MessageState[], deliveries: readonly DeliveryState[] = []) {
    this.#now = now;
    for (const message of messages) {
      this.#messages.set(message.messageId, { ...message, times: { ...message.times } });
      this.#byMessage.set(message.messageId, []);
    }
    for (const delivery of deliveries) this.#add({ ...delivery, steps: { ...delivery.steps } });
  }

  get now(): string {
    return this.#now;
  }

  message(messageId: string): MessageState | undefined {
    return this.#messages.get(messageId);
  }

  deliveriesOf(messageId: string): readonly DeliveryState[] {
    return this.#byMessage.get(messageId) ?? [];
  }

  delivery(ref: DeliveryRef): DeliveryState | undefined {
    return this.#deliveries.get(deliveryKey(ref));
  }

  /**
   * The router's move: plans one delivery per leg and recipient (failed at once where the leg cannot be tried)
   * and takes the message from accepted to in_transit. Returns false for a message already routed (a record seen
   * again), which changes nothing.
   */
  route(messageId: string, legs: readonly RouteLeg[]): boolean {
    const message = this.#messages.get(messageId);
    if (!message || message.status !== 'accepted') return false;
    for (const leg of legs) {
      for (const recipientId of leg.recipients) {
        const delivery: DeliveryState = {
          messageId,
          channel: leg.channel,
          recipientId,
          status: leg.failure ? 'failed' : 'pending',
          reason: leg.failure ?? null,
          providerMessageId: null,
          steps: leg.failure ? { failed: { at: this.#now, channelAt: null } } : {},
          readUpTo: 0,
        };
        this.#add(delivery);
        this.#created.add(deliveryKey(delivery));
      }
    }
    this.#moveMessage(message, 'in_transit', null);
    this.#unsettled.add(messageId);
    return true;
  }

  /**
   * Applies a step to a delivery if it moves it forward (a repeated or late step changes nothing); a hand-over
   * to a recipient who already read that far makes it read too. Returns whether it applied.
   */
  step(ref: DeliveryRef, step: DeliveryStep): boolean {
    const delivery = this.#deliveries.get(deliveryKey(ref));
    if (!delivery || !deliveryPredecessorsOf(step.status).includes(delivery.status)) return false;
    const channelAt = step.channelAt?.toISOString() ?? null;
    if (step.sentToo && delivery.status === 'pending') delivery.steps.sent = { at: this.#now, channelAt };
    delivery.steps[step.status] = { at: this.#now, channelAt };
    delivery.status = step.status;
    delivery.reason = step.status === 'failed' ? (step.reason ?? 'failed') : null;
    if (step.providerMessageId) delivery.providerMessageId = step.providerMessageId;
    this.#readIfAlreadyRead(delivery);
    this.#touch(delivery);
    return true;
  }

  /**
   * A read receipt: the reader read everything up to `upToSeq`, so their deliveries of those messages that were
   * handed over are read; those not handed over yet become read when they are (see step). Returns the ids of the
   * messages that got a delivery marked read.
   */
  readUpTo(readerId: string, upToSeq: number): string[] {
    const marked = new Set<string>();
    for (const delivery of this.#deliveries.values()) {
      if (delivery.recipientId !== readerId) continue;
      delivery.readUpTo = Math.max(delivery.readUpTo, upToSeq);
      if (this.#readIfAlreadyRead(delivery)) {
        this.#touch(delivery);
        marked.add(delivery.messageId);
      }
    }
    return [...marked];
  }

  /**
   * An operator's replay of a dead letter, the one way back from failed: the failed delivery goes back to
   * pending (its steps kept as history of the generation before), and a failed message back to in_transit in its
   * next generation. Returns whether the delivery is pending now, so its dispatch should go out again: a delivery
   * left pending by an earlier replay that did not finish is, and one that moved on since is not.
   */
  replay(ref: DeliveryRef, reason: string): boolean {
    const delivery = this.#deliveries.get(deliveryKey(ref));
    const message = this.#messages.get(ref.messageId);
    if (!delivery || !message) return false;
    if (delivery.status === 'pending') return true;
    if (delivery.status !== 'failed') return false;
    for (const status of DeliverySteps) {
      const time = delivery.steps[status];
      if (time) this.#deliveryArchive.push({ ...ref, status, reason: status === 'failed' ? delivery.reason : null, ...time });
    }
    this.#deliveryArchive.push({ ...ref, status: 'pending', reason, at: this.#now, channelAt: null });
    Object.assign(delivery, { status: 'pending', reason: null, steps: {} });
    this.#touch(delivery);
    if (message.status === 'failed') {
      this.#messageArchive.push({ messageId: message.messageId, status: 'failed', reason: message.reason, at: message.times.failed!, channelAt: null });
      this.#messageArchive.push({ messageId: message.messageId, status: 'in_transit', reason, at: this.#now, channelAt: null });
      const previous = message.status;
      delete message.times.failed;
      Object.assign(message, { status: 'in_transit', reason: null, generation: message.generation + 1 });
      this.#dirtyMessages.add(message.messageId);
      this.#events.push(...eventsOfMove(message, previous, reason, this.#now));
    }
    return true;
  }

  /**
   * After a connector recorded its hand-overs on `channel` (LedgerStore.recordHandOvers): the ones whose recipient
   * already read that far become read, and the messages take the aggregate of their deliveries. Safe to repeat.
   */
  settleHandOvers(channel: string): void {
    for (const delivery of this.#deliveries.values()) {
      if (delivery.channel === channel && this.#readIfAlreadyRead(delivery)) this.#touch(delivery);
    }
    for (const messageId of this.#messages.keys()) this.#unsettled.add(messageId);
  }

  /** Announces an event that is not a status move (a read receipt), in order with the moves. */
  announce(event: HubEvent): void {
    this.#events.push(event);
  }

  /** Gives each message whose deliveries changed the aggregate of its deliveries, once they all settled. */
  settle(): void {
    for (const messageId of this.#unsettled) {
      const message = this.#messages.get(messageId)!;
      const deliveries = this.#byMessage.get(messageId)!;
      const status = settledStatus(deliveries.map((delivery) => delivery.status));
      if (!status || !predecessorsOf(status).includes(message.status)) continue;
      const failed = status === 'failed' ? [...deliveries].sort(byChannelAndRecipient).find((d) => d.status === 'failed') : undefined;
      this.#moveMessage(message, status, failed?.reason ?? null);
    }
    this.#unsettled.clear();
  }

  /** Everything to write back (settling first). */
  changes(): LedgerChanges {
    this.settle();
    return {
      messages: [...this.#dirtyMessages].map((id) => this.#messages.get(id)!),
      created: [...this.#created].map((key) => this.#deliveries.get(key)!),
      updated: [...this.#updated].filter((key) => !this.#created.has(key)).map((key) => this.#deliveries.get(key)!),
      messageArchive: this.#messageArchive,
      deliveryArchive: this.#deliveryArchive,
      events: this.#events,
    };
  }

  #add(delivery: DeliveryState): void {
    this.#deliveries.set(deliveryKey(delivery), delivery);
    this.#byMessage.get(delivery.messageId)?.push(delivery);
  }

  #touch(delivery: DeliveryState): void {
    this.#updated.add(deliveryKey(delivery));
    this.#unsettled.add(delivery.messageId);
  }

  /** The read-pointer rule: a delivery handed over (sent or delivered) up to the recipient's pointer is read. */
  #readIfAlreadyRead(delivery: DeliveryState): boolean {
    const message = this.#messages.get(delivery.messageId);
    if (!message || (delivery.status !== 'sent' && delivery.status !== 'delivered') || delivery.readUpTo < message.seq) return false;
    delivery.status = 'read';
    delivery.steps.read = { at: this.#now, channelAt: null };
    return true;
  }

  #moveMessage(message: MessageState, status: MessageStep, reason: string | null): void {
    const previous = message.status;
    message.status = status;
    message.reason = reason;
    message.times[status] = this.#now;
    this.#dirtyMessages.add(message.messageId);
    this.#events.push(...eventsOfMove(message, previous, reason, this.#now));
  }
}

function byChannelAndRecipient(a: DeliveryRef, b: DeliveryRef): number {
  return a.channel === b.channel ? (a.recipientId < b.recipientId ? -1 : 1) : a.channel < b.channel ? -1 : 1;
}
