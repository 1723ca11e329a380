import { RouteMessages } from '../app/route-messages.ts';
import { MESSAGE_PROCESSING_TOPIC, outgoingTopic } from '../domain/channels.ts';
import type { Hub } from '../main.ts';
import { guarded } from './guarded.ts';
import type { RunningRole } from './role.ts';

export const ROUTER_GROUP = 'message-router';

export async function startRouter(hub: Hub): Promise<RunningRole> {
  const log = hub.log.child({ role: 'router' });
  const channels = [...hub.channels.keys()];
  const bus = await hub.openBus();
  await bus.ensureTopics([MESSAGE_PROCESSING_TOPIC, ...channels.map(outgoingTopic)]);
  const router = new RouteMessages(hub.store.ledger, channels, hub.fileAvailability, {
    routed: (message, routed) =>
      log.info({ message_id: message.messageId, channels: routed }, `Routing message ${message.messageId} to ${routed.join(', ')}`),
    fileMissing: (message, fileId, reason) =>
      log.warn({ message_id: message.messageId, file_id: fileId, reason }, `Message ${message.messageId} failed: ${reason}`),
  });
  const guard = guarded(hub, ROUTER_GROUP, log, (records) => router.handle(records));
  const subscription = bus.subscribe(ROUTER_GROUP, MESSAGE_PROCESSING_TOPIC, guard.handler);
  log.info({}, `Message router started, consuming from ${MESSAGE_PROCESSING_TOPIC} topic...`);
  return {
    name: 'router',
    stop: async () => {
      await subscription.stop();
      guard.unprocessable.logTotal();
    },
  };
}
