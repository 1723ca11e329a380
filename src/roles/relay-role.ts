import type { Logger } from 'pino';
import { relayOutbox } from '../app/relay-outbox.ts';
import { MESSAGE_PROCESSING_TOPIC } from '../domain/channels.ts';
import type { MessageBus } from '../ports/message-bus.ts';
import type { Outbox } from '../ports/outbox.ts';
import type { RunningRole } from './role.ts';

export interface RelayRole {
  outbox: Outbox;
  openBus(): Promise<MessageBus>;
  log: Logger;
}

export async function startRelay({ outbox, openBus, log }: RelayRole): Promise<RunningRole> {
  const bus = await openBus();
  await bus.ensureTopics([MESSAGE_PROCESSING_TOPIC]);
  const subscription = relayOutbox(outbox, bus);
  log.info({}, 'Outbox relay started, publishing accepted messages to the bus');
  return { name: 'relay', stop: () => subscription.stop() };
}
