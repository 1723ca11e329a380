import { expandChannels, outgoingTopic } from '../domain/channels.ts';
import type { ChannelDispatchEvent, MessageAcceptedEvent } from '../domain/message-events.ts';
import type { BusRecord, ConsumedRecord, MessageBus } from '../ports/message-bus.ts';
import type { MessageStore } from '../ports/message-store.ts';

/**
 * The router: for each accepted message, plans one delivery per channel and recipient, moves the message
 * to in_transit and hands it to each channel's topic. Replaying a record re-publishes (connectors ignore
 * deliveries already made) and changes nothing in the store.
 */
export class RouteMessages {
  readonly #messages: MessageStore;
  readonly #bus: MessageBus;
  readonly #channels: readonly string[];
  readonly #log: (event: MessageAcceptedEvent, channels: string[]) => void;

  constructor(
    messages: MessageStore,
    bus: MessageBus,
    registeredChannels: readonly string[],
    log: (event: MessageAcceptedEvent, channels: string[]) => void,
  ) {
    this.#messages = messages;
    this.#bus = bus;
    this.#channels = registeredChannels;
    this.#log = log;
  }

  async handle(records: ConsumedRecord[]): Promise<void> {
    const outgoing: BusRecord[] = [];
    for (const record of records) {
      outgoing.push(...(await this.#route(record.value as MessageAcceptedEvent)));
    }
    await this.#bus.publish(outgoing);
  }

  async #route(event: MessageAcceptedEvent): Promise<BusRecord[]> {
    const channels = expandChannels(event.channels, this.#channels);
    const recipients = await this.#messages.recipients(event.conversation_id, event.from);
    const known = channels.filter((channel) => this.#channels.includes(channel));
    const plan = channels.flatMap((channel) =>
      recipients.map((recipientId) => ({
        channel,
        recipientId,
        ...(known.includes(channel) ? {} : { failure: `channel "${channel}" is not registered` }),
      })),
    );
    await this.#messages.planDeliveries(event.message_id, plan);
    this.#log(event, channels);
    return known.map((channel) => {
      const dispatch: ChannelDispatchEvent = {
        message_id: event.message_id,
        conversation_id: event.conversation_id,
        seq: event.seq,
        from: event.from,
        channel,
        recipients,
        payload: event.payload,
        priority: event.priority,
      };
      return { topic: outgoingTopic(channel), key: event.conversation_id, value: dispatch };
    });
  }
}
