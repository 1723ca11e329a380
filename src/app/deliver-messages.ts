import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../domain/backoff.ts';
import { deadLetterTopic, type DeadLetter } from '../domain/dead-letters.ts';
import type { ChannelDispatchEvent } from '../domain/message-events.ts';
import { DeliveryFailure, type ChannelConnector, type ChannelRecipient } from '../ports/channel-connector.ts';
import type { DeliveryEvent, DeliveryRef, DeliveryStore } from '../ports/delivery-store.ts';
import type { IdentityStore } from '../ports/identity-store.ts';
import type { BusRecord, ConsumedRecord } from '../ports/message-bus.ts';
import type { CircuitBreaker } from './circuit-breaker.ts';

/** How one hand-over to the channel went: sent (the channel took it) or failed with a reason. */
export interface HandOver {
  recipientId: string;
  status: 'sent' | 'failed';
  reason: string | null;
}

export interface RecordedDelivery {
  event: ChannelDispatchEvent;
  outcome: HandOver;
}

export interface RetryPolicy {
  /** Tries per delivery, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface DeliverOptions {
  deliveries: DeliveryStore;
  identities: IdentityStore;
  connector: ChannelConnector;
  retry: RetryPolicy;
  breaker: CircuitBreaker;
  /** Runs right after the outcomes commit, once per batch, so it can report them in one write. */
  onRecorded: (recorded: RecordedDelivery[]) => void;
}

/** A delivery's steps as the channel answered, and whether it failed after every retry (a dead letter). */
interface Attempted {
  ref: DeliveryRef;
  steps: DeliveryEvent[];
  exhausted?: { attempts: number };
}

/**
 * A channel connector's work: hand each pending delivery of the dispatched messages to the channel (retrying
 * transient failures with backoff, not calling it while the circuit is open), record what the channel answered, and
 * report the hand-overs recorded. A delivery that still fails after every retry is failed with its reason and
 * put on the channel's dead-letter topic, from where an operator can replay it. A redelivered record finds nothing
 * pending and has no effect.
 */
export class DeliverMessages {
  readonly #options: DeliverOptions;
  readonly #inDoubt = new Map<string, RecordedDelivery>();

  constructor(options: DeliverOptions) {
    this.#options = options;
  }

  async handle(records: ConsumedRecord[]): Promise<void> {
    const { deliveries, identities, connector, onRecorded } = this.#options;
    const events = new Map(records.map((record) => {
      const event = record.value as ChannelDispatchEvent;
      return [event.message_id, event] as const;
    }));
    const pending = await deliveries.pendingDeliveries([...events.keys()], connector.name);
    this.#settleInDoubt(events, pending);
    if (pending.length === 0) return;
    const addresses = await identities.addressesOn(connector.name, [...new Set(pending.map((ref) => ref.recipientId))]);
    // In batch order within a conversation, so each recipient gets its messages in order; conversations in parallel.
    const order = [...events.keys()];
    pending.sort((a, b) => order.indexOf(a.messageId) - order.indexOf(b.messageId));
    const byConversation = Map.groupBy(pending, ({ messageId }) => events.get(messageId)!.conversation_id);
    const attempted: Attempted[] = [];
    await Promise.all(
      [...byConversation.values()].map(async (refs) => {
        for (const ref of refs) {
          const recipient = { userId: ref.recipientId, address: addresses.get(ref.recipientId) ?? ref.recipientId };
          attempted.push(await this.#send(events.get(ref.messageId)!, ref, recipient));
        }
      }),
    );
    const outcomes = attempted.map(({ ref, steps }): RecordedDelivery => ({
      event: events.get(ref.messageId)!,
      outcome: { recipientId: ref.recipientId, status: steps[0]!.status === 'failed' ? 'failed' : 'sent', reason: steps[0]!.reason },
    }));
    const deadLetters = (applied: readonly DeliveryEvent[]): BusRecord[] => {
      const failed = new Set(applied.filter((e) => e.status === 'failed').map((e) => deliveryKey(e.messageId, e.recipientId)));
      return attempted
        .filter((a) => a.exhausted && failed.has(deliveryKey(a.ref.messageId, a.ref.recipientId)))
        .map((a) => deadLetterRecord(connector.name, events.get(a.ref.messageId)!, a));
    };
    let applied: DeliveryEvent[];
    try {
      applied = await deliveries.recordDeliveryEvents(connector.name, attempted.flatMap(({ steps }) => steps), deadLetters);
    } catch (error) {
      // The commit may have landed even though we saw an error (e.g. the connection dropped during it).
      for (const recorded of outcomes) this.#inDoubt.set(deliveryKey(recorded.event.message_id, recorded.outcome.recipientId), recorded);
      throw error;
    }
    const handedOver = new Set(
      applied.filter((event) => event.status === 'sent' || event.status === 'failed').map((e) => deliveryKey(e.messageId, e.recipientId)),
    );
    const recorded = outcomes.filter((o) => handedOver.has(deliveryKey(o.event.message_id, o.outcome.recipientId)));
    if (recorded.length > 0) onRecorded(recorded);
  }

  /**
   * Outcomes whose recording failed ambiguously are settled when their batch comes back: still pending means
   * the commit did not land (they are sent again); no longer pending means it did, so they are reported now.
   */
  #settleInDoubt(events: ReadonlyMap<string, ChannelDispatchEvent>, pending: readonly DeliveryRef[]): void {
    if (this.#inDoubt.size === 0) return;
    const stillPending = new Set(pending.map((ref) => deliveryKey(ref.messageId, ref.recipientId)));
    const landed: RecordedDelivery[] = [];
    for (const [key, recorded] of this.#inDoubt) {
      if (!events.has(recorded.event.message_id)) continue;
      this.#inDoubt.delete(key);
      if (!stillPending.has(key)) landed.push(recorded);
    }
    if (landed.length > 0) this.#options.onRecorded(landed);
  }

  /**
   * Sends one delivery, retrying transient failures with backoff; while the circuit is open an attempt fails at once
   * without calling the channel. The steps are sent (and delivered, when the channel says so at once), or failed.
   */
  async #send(event: ChannelDispatchEvent, ref: DeliveryRef, recipient: ChannelRecipient): Promise<Attempted> {
    const { connector, retry, breaker } = this.#options;
    for (let attempt = 1; ; attempt++) {
      let failure: DeliveryFailure;
      if (breaker.isOpen) {
        failure = new DeliveryFailure(`${connector.displayName} keeps failing: circuit open, not tried`);
      } else {
        try {
          const receipt = event.payload.type === 'file' ? await connector.sendFile(event, recipient) : await connector.send(event, recipient);
          breaker.succeeded();
          const at = new Date();
          const sent: DeliveryEvent = { ...ref, status: 'sent', reason: null, providerMessageId: receipt.providerMessageId, channelAt: at };
          return { ref, steps: receipt.status === 'delivered' ? [sent, { ...ref, status: 'delivered', reason: null, channelAt: at }] : [sent] };
        } catch (error) {
          // A plug-in that throws anything else is treated like a channel failing: retried, then failed.
          failure = error instanceof DeliveryFailure ? error : new DeliveryFailure(`${connector.displayName} connector error: ${String(error)}`);
          if (!failure.permanent) breaker.failed();
        }
      }
      const exhausted = !failure.permanent && attempt >= retry.maxAttempts;
      if (failure.permanent || exhausted) {
        const reason = attempt > 1 ? `${failure.message} (after ${attempt} attempts)` : failure.message;
        return { ref, steps: [{ ...ref, status: 'failed', reason, channelAt: new Date() }], ...(exhausted ? { exhausted: { attempts: attempt } } : {}) };
      }
      await sleep(backoffDelay(attempt, retry.baseDelayMs, retry.maxDelayMs));
    }
  }
}

function deadLetterRecord(channel: string, event: ChannelDispatchEvent, attempted: Attempted): BusRecord {
  const value: DeadLetter = {
    dispatch: event,
    recipient_id: attempted.ref.recipientId,
    reason: attempted.steps[0]!.reason ?? 'failed',
    attempts: attempted.exhausted!.attempts,
    failed_at: new Date().toISOString(),
  };
  return { topic: deadLetterTopic(channel), key: event.conversation_id, value };
}

const deliveryKey = (messageId: string, recipientId: string) => `${messageId}/${recipientId}`;
