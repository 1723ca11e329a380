import type { ChannelDispatchEvent } from '../domain/message-events.ts';
import { DeliveryFailure, type ChannelConnector } from '../ports/channel-connector.ts';
import type { DeliveryEvent, DeliveryRef, DeliveryStore } from '../ports/delivery-store.ts';
import type { ConsumedRecord } from '../ports/message-bus.ts';

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

/**
 * A channel connector's work: hand each pending delivery of the dispatched messages to the channel, record what
 * the channel answered, and report the hand-overs recorded. A redelivered record finds nothing pending and has no
 * effect.
 */
export class DeliverMessages {
  readonly #deliveries: DeliveryStore;
  readonly #connector: ChannelConnector;
  readonly #onRecorded: (recorded: RecordedDelivery[]) => void;
  readonly #inDoubt = new Map<string, RecordedDelivery>();

  /** `onRecorded` runs right after the outcomes commit, once per batch, so it can report them in one write. */
  constructor(deliveries: DeliveryStore, connector: ChannelConnector, onRecorded: (recorded: RecordedDelivery[]) => void) {
    this.#deliveries = deliveries;
    this.#connector = connector;
    this.#onRecorded = onRecorded;
  }

  async handle(records: ConsumedRecord[]): Promise<void> {
    const events = new Map(records.map((record) => {
      const event = record.value as ChannelDispatchEvent;
      return [event.message_id, event] as const;
    }));
    const pending = await this.#deliveries.pendingDeliveries([...events.keys()], this.#connector.name);
    this.#settleInDoubt(events, pending);
    if (pending.length === 0) return;
    // In batch order within a conversation, so each recipient gets its messages in order; conversations in parallel.
    const order = [...events.keys()];
    pending.sort((a, b) => order.indexOf(a.messageId) - order.indexOf(b.messageId));
    const byConversation = Map.groupBy(pending, ({ messageId }) => events.get(messageId)!.conversation_id);
    const handOvers: Array<{ ref: DeliveryRef; steps: DeliveryEvent[] }> = [];
    await Promise.all(
      [...byConversation.values()].map(async (deliveries) => {
        for (const ref of deliveries) handOvers.push({ ref, steps: await this.#send(events.get(ref.messageId)!, ref) });
      }),
    );
    const outcomes = handOvers.map(({ ref, steps }): RecordedDelivery => ({
      event: events.get(ref.messageId)!,
      outcome: { recipientId: ref.recipientId, status: steps[0]!.status === 'failed' ? 'failed' : 'sent', reason: steps[0]!.reason },
    }));
    let applied: DeliveryEvent[];
    try {
      applied = await this.#deliveries.recordDeliveryEvents(this.#connector.name, handOvers.flatMap(({ steps }) => steps));
    } catch (error) {
      // The commit may have landed even though we saw an error (e.g. the connection dropped during it).
      for (const recorded of outcomes) this.#inDoubt.set(deliveryKey(recorded.event.message_id, recorded.outcome.recipientId), recorded);
      throw error;
    }
    const handedOver = new Set(
      applied.filter((event) => event.status === 'sent' || event.status === 'failed').map((e) => deliveryKey(e.messageId, e.recipientId)),
    );
    const recorded = outcomes.filter((o) => handedOver.has(deliveryKey(o.event.message_id, o.outcome.recipientId)));
    if (recorded.length > 0) this.#onRecorded(recorded);
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
    if (landed.length > 0) this.#onRecorded(landed);
  }

  /** The delivery's steps as the channel answered: sent (and delivered, when it says so at once), or failed. */
  async #send(event: ChannelDispatchEvent, ref: DeliveryRef): Promise<DeliveryEvent[]> {
    try {
      const receipt = await this.#connector.send(event, { userId: ref.recipientId, address: ref.recipientId });
      const at = new Date();
      const sent: DeliveryEvent = { ...ref, status: 'sent', reason: null, providerMessageId: receipt.providerMessageId, channelAt: at };
      return receipt.status === 'delivered' ? [sent, { ...ref, status: 'delivered', reason: null, channelAt: at }] : [sent];
    } catch (error) {
      if (!(error instanceof DeliveryFailure)) throw error;
      return [{ ...ref, status: 'failed', reason: error.message, channelAt: new Date() }];
    }
  }
}

const deliveryKey = (messageId: string, recipientId: string) => `${messageId}/${recipientId}`;
