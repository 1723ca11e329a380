import type { Logger } from 'pino';
import type { RouteMessages } from '../app/route-messages.ts';
import { MESSAGE_PROCESSING_TOPIC, outgoingTopic } from '../domain/channels.ts';
import type { Consumer, RunningRole } from './role.ts';

export const ROUTER_GROUP = 'message-router';

export interface RouterRole extends Consumer {
  router: RouteMessages;
  channels: readonly string[];
  log: Logger;
}

export async function startRouter({ router, channels, openBus, guard, log }: RouterRole): Promise<RunningRole> {
  const bus = await openBus();
  await bus.ensureTopics([MESSAGE_PROCESSING_TOPIC, ...channels.map(outgoingTopic)]);
  const subscription = bus.subscribe(ROUTER_GROUP, MESSAGE_PROCESSING_TOPIC, guard(ROUTER_GROUP, (records) => router.handle(records)));
  log.info({}, `Message router started, consuming from ${MESSAGE_PROCESSING_TOPIC} topic...`);
  return { name: 'router', stop: () => subscription.stop() };
}
