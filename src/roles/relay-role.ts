import { relayOutbox } from '../app/relay-outbox.ts';
import { MESSAGE_PROCESSING_TOPIC } from '../domain/channels.ts';
import type { Hub } from '../main.ts';
import type { RunningRole } from './role.ts';

export async function startRelay(hub: Hub): Promise<RunningRole> {
  const bus = await hub.openBus();
  await bus.ensureTopics([MESSAGE_PROCESSING_TOPIC]);
  const subscription = relayOutbox(hub.store.outbox, bus);
  hub.log.info({ role: 'relay' }, 'Outbox relay started, publishing accepted messages to the bus');
  return { name: 'relay', stop: () => subscription.stop() };
}
