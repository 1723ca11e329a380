import { expandChannels, outgoingTopic } from '../domain/channels.ts';
import type { ChannelDispatchEvent, MessageAcceptedEvent } from '../domain/message-events.ts';
import type { BusRecord, ConsumedRecord, MessageBus } from '../ports/message-bus.ts';
import type { DeliveryStore, PlannedDelivery } from '../ports/delivery-store.ts';

/**
 * The router: for each accepted message, plans one delivery per channel and recipient (every member but the
 * sender), moves the message to in_transit and hands it to each channel's topic, keyed by conversation.
 * Replaying a batch re-publishes (connectors skip deliveries already made) and changes nothing in the store.
 */
export class RouteMessages {
  readonly #deliveries: DeliveryStore;
  readonly #bus: MessageBus;
  readonly #channels: readonly string[];
  readonly #log: (event: MessageAcceptedEvent, channels: string[]) => void;

  constructor(
    deliveries: DeliveryStore,
    bus: MessageBus,
    registeredChannels: readonly string[],
    log: (event: MessageAcceptedEvent, channels: string[]) => void,
  ) {
    this.#deliveries = deliveries;
    this.#bus = bus;
    this.#channels = registeredChannels;
    this.#log = log;
  }

  async handle(records: ConsumedRecord[]): Promise<void> {
    const events = records.map((record) => record.value as MessageAcceptedEvent);
    const members = await this.#deliveries.members([...new Set(events.map((event) => event.conversation_id))]);
    const plan: PlannedDelivery[] = [];
    const outgoing: BusRecord[] = [];
    for (const event of events) {
      const recipients = (members.get(event.conversation_id) ?? []).filter((member) => member !== event.from);
      const channels = expandChannels(event.channels, this.#channels);
      for (const channel of channels) {
        const failure = this.#channels.includes(channel) ? undefined : `channel "${channel}" is not registered`;
        for (const recipientId of recipients) {
          plan.push({ messageId: event.message_id, channel, recipientId, ...(failure ? { failure } : {}) });
        }
        if (!failure) outgoing.push(dispatch(event, channel, recipients));
      }
      this.#log(event, channels);
    }
    await this.#deliveries.planDeliveries(plan);
    await this.#bus.publish(outgoing);
  }
}

function dispatch(event: MessageAcceptedEvent, channel: string, recipients: string[]): BusRecord {
  const value: ChannelDispatchEvent = {
    message_id: event.message_id,
    conversation_id: event.conversation_id,
    seq: event.seq,
    from: event.from,
    channel,
    recipients,
    payload: event.payload,
    priority: event.priority,
  };
  return { topic: outgoingTopic(channel), key: event.conversation_id, value };
}
