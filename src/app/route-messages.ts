import { expandChannels, outgoingTopic } from '../domain/channels.ts';
import type { ChannelDispatchEvent, MessageAcceptedEvent } from '../domain/message-events.ts';
import type { BusRecord, ConsumedRecord, MessageBus } from '../ports/message-bus.ts';
import type { DeliveryStore, PlannedDelivery } from '../ports/delivery-store.ts';
import type { FileAvailability } from './file-availability.ts';

/**
 * The router: for each accepted message, plans one delivery per channel and recipient (every member but the
 * sender), moves the message to in_transit and hands it to each channel's topic, keyed by conversation.
 * A file message whose object is not in storage is not routed: its deliveries fail with the reason.
 * Replaying a batch re-publishes (connectors skip deliveries already made) and changes nothing in the store.
 */
export class RouteMessages {
  readonly #deliveries: DeliveryStore;
  readonly #bus: MessageBus;
  readonly #channels: readonly string[];
  readonly #files: FileAvailability;
  readonly #log: (event: MessageAcceptedEvent, channels: string[]) => void;

  constructor(
    deliveries: DeliveryStore,
    bus: MessageBus,
    registeredChannels: readonly string[],
    files: FileAvailability,
    log: (event: MessageAcceptedEvent, channels: string[]) => void,
  ) {
    this.#deliveries = deliveries;
    this.#bus = bus;
    this.#channels = registeredChannels;
    this.#files = files;
    this.#log = log;
  }

  async handle(records: ConsumedRecord[]): Promise<void> {
    const events = records.map((record) => record.value as MessageAcceptedEvent);
    const members = await this.#deliveries.members([...new Set(events.map((event) => event.conversation_id))]);
    const fileIds = events.flatMap((event) => (event.payload.type === 'file' ? [event.payload.file_id] : []));
    const unavailable = fileIds.length > 0 ? await this.#files.problems(fileIds) : new Map<string, string>();
    const plan: PlannedDelivery[] = [];
    const outgoing: BusRecord[] = [];
    for (const event of events) {
      const recipients = (members.get(event.conversation_id) ?? []).filter((member) => member !== event.from);
      const channels = expandChannels(event.channels, this.#channels);
      const fileProblem = event.payload.type === 'file' ? unavailable.get(event.payload.file_id) : undefined;
      for (const channel of channels) {
        const failure = fileProblem ?? (this.#channels.includes(channel) ? undefined : `channel "${channel}" is not registered`);
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
