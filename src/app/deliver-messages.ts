import type { ChannelDispatchEvent } from '../domain/message-events.ts';
import { DeliveryFailure, type ChannelConnector } from '../ports/channel-connector.ts';
import type { ConsumedRecord } from '../ports/message-bus.ts';
import type { DeliveryOutcome, MessageStore } from '../ports/message-store.ts';

/**
 * A channel connector's work: send each pending delivery of a dispatched message, record the outcomes,
 * and report the ones this call moved. A redelivered record finds nothing pending and has no effect.
 */
export class DeliverMessages {
  readonly #messages: MessageStore;
  readonly #connector: ChannelConnector;
  readonly #onDelivered: (event: ChannelDispatchEvent, outcome: DeliveryOutcome) => void;

  constructor(
    messages: MessageStore,
    connector: ChannelConnector,
    onDelivered: (event: ChannelDispatchEvent, outcome: DeliveryOutcome) => void,
  ) {
    this.#messages = messages;
    this.#connector = connector;
    this.#onDelivered = onDelivered;
  }

  async handle(records: ConsumedRecord[]): Promise<void> {
    for (const record of records) {
      await this.#deliver(record.value as ChannelDispatchEvent);
    }
  }

  async #deliver(event: ChannelDispatchEvent): Promise<void> {
    const pending = await this.#messages.pendingDeliveries(event.message_id, this.#connector.name);
    if (pending.length === 0) return;
    const outcomes = await Promise.all(pending.map(({ recipientId }) => this.#send(event, recipientId)));
    const moved = await this.#messages.recordDeliveries(event.message_id, this.#connector.name, outcomes);
    for (const outcome of moved) this.#onDelivered(event, outcome);
  }

  async #send(event: ChannelDispatchEvent, recipientId: string): Promise<DeliveryOutcome> {
    try {
      await this.#connector.send(event, recipientId);
      return { recipientId, status: 'delivered', reason: null };
    } catch (error) {
      if (!(error instanceof DeliveryFailure)) throw error;
      return { recipientId, status: 'failed', reason: error.message };
    }
  }
}
