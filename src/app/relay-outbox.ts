import type { MessageBus, Subscription } from '../ports/message-bus.ts';
import type { Outbox } from '../ports/outbox.ts';

/** The relay: moves outbox records to the bus, in order per partition, deleting them once published. */
export function relayOutbox(outbox: Outbox, bus: MessageBus): Subscription {
  return outbox.drain((records) => bus.publish(records));
}
