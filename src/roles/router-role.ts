import { RouteMessages } from '../app/route-messages.ts';
import { MESSAGE_PROCESSING_TOPIC, outgoingTopic } from '../domain/channels.ts';
import type { Hub } from '../main.ts';
import type { RunningRole } from './role.ts';

export const ROUTER_GROUP = 'message-router';

export async function startRouter(hub: Hub): Promise<RunningRole> {
  const log = hub.log.child({ role: 'router' });
  const channels = [...hub.channels.keys()];
  const bus = await hub.openBus();
  await bus.ensureTopics([MESSAGE_PROCESSING_TOPIC, ...channels.map(outgoingTopic)]);
  const router = new RouteMessages(hub.store.deliveries, bus, channels, hub.fileAvailability, (event, routed) =>
    log.info({ message_id: event.message_id, channels: routed }, `Routing message ${event.message_id} to ${routed.join(', ')}`),
  );
  const subscription = bus.subscribe(ROUTER_GROUP, MESSAGE_PROCESSING_TOPIC, (records) => router.handle(records));
  log.info({}, `Message router started, consuming from ${MESSAGE_PROCESSING_TOPIC} topic...`);
  return { name: 'router', stop: () => subscription.stop() };
}
