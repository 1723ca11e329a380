import type { ChannelDispatchEvent } from '../domain/message-events.ts';
import { DeliveryFailure, type ChannelConnector } from '../ports/channel-connector.ts';
import type { ConsumedRecord } from '../ports/message-bus.ts';
import type { DeliveryOutcome, MessageStore } from '../ports/message-store.ts';

export interface RecordedDelivery {
  event: ChannelDispatchEvent;
  outcome: DeliveryOutcome;
}

/**
 * A channel connector's work: send each pending delivery of the dispatched messages, record the outcomes,
 * and report the ones recorded. A redelivered record finds nothing pending and has no effect.
 */
export class DeliverMessages {
  readonly #messages: MessageStore;
  readonly #connector: ChannelConnector;
  readonly #onRecorded: (recorded: RecordedDelivery[]) => void;
  readonly #inDoubt = new Map<string, RecordedDelivery>();

  /** `onRecorded` runs right after the outcomes commit, once per batch, so it can report them in one write. */
  constructor(messages: MessageStore, connector: ChannelConnector, onRecorded: (recorded: RecordedDelivery[]) => void) {
    this.#messages = messages;
    this.#connector = connector;
    this.#onRecorded = onRecorded;
  }

  async handle(records: ConsumedRecord[]): Promise<void> {
    const events = new Map(records.map((record) => {
      const event = record.value as ChannelDispatchEvent;
      return [event.message_id, event] as const;
    }));
    const pending = await this.#messages.pendingDeliveries([...events.keys()], this.#connector.name);
    this.#settleInDoubt(events, pending);
    if (pending.length === 0) return;
    // In batch order within a conversation, so each recipient gets its messages in order; conversations in parallel.
    const order = [...events.keys()];
    pending.sort((a, b) => order.indexOf(a.messageId) - order.indexOf(b.messageId));
    const byConversation = Map.groupBy(pending, ({ messageId }) => events.get(messageId)!.conversation_id);
    const outcomes: DeliveryOutcome[] = [];
    await Promise.all(
      [...byConversation.values()].map(async (deliveries) => {
        for (const { messageId, recipientId } of deliveries) outcomes.push(await this.#send(events.get(messageId)!, recipientId));
      }),
    );
    let recorded: DeliveryOutcome[];
    try {
      recorded = await this.#messages.recordDeliveries(this.#connector.name, outcomes);
    } catch (error) {
      // The commit may have landed even though we saw an error (e.g. the connection dropped during it).
      for (const outcome of outcomes) this.#inDoubt.set(deliveryKey(outcome), { event: events.get(outcome.messageId)!, outcome });
      throw error;
    }
    if (recorded.length > 0) this.#onRecorded(recorded.map((outcome) => ({ event: events.get(outcome.messageId)!, outcome })));
  }

  /**
   * Outcomes whose recording failed ambiguously are settled when their batch comes back: still pending means
   * the commit did not land (they are sent again); no longer pending means it did, so they are reported now.
   */
  #settleInDoubt(
    events: ReadonlyMap<string, ChannelDispatchEvent>,
    pending: ReadonlyArray<{ messageId: string; recipientId: string }>,
  ): void {
    if (this.#inDoubt.size === 0) return;
    const stillPending = new Set(pending.map(deliveryKey));
    const landed: RecordedDelivery[] = [];
    for (const [key, recorded] of this.#inDoubt) {
      if (!events.has(recorded.outcome.messageId)) continue;
      this.#inDoubt.delete(key);
      if (!stillPending.has(key)) landed.push(recorded);
    }
    if (landed.length > 0) this.#onRecorded(landed);
  }

  async #send(event: ChannelDispatchEvent, recipientId: string): Promise<DeliveryOutcome> {
    const messageId = event.message_id;
    try {
      await this.#connector.send(event, recipientId);
      return { messageId, recipientId, status: 'delivered', reason: null };
    } catch (error) {
      if (!(error instanceof DeliveryFailure)) throw error;
      return { messageId, recipientId, status: 'failed', reason: error.message };
    }
  }
}

const deliveryKey = ({ messageId, recipientId }: { messageId: string; recipientId: string }) => `${messageId}/${recipientId}`;
