import type { Logger } from 'pino';
import type { DeliverMessages } from '../app/deliver-messages.ts';
import { outgoingTopic } from '../domain/channels.ts';
import { deadLetterTopic } from '../domain/dead-letters.ts';
import type { Consumer, RunningRole } from './role.ts';

export interface ConnectorRole extends Consumer {
  channel: string;
  displayName: string;
  deliver: DeliverMessages;
  log: Logger;
}

export async function startConnector({ channel, displayName, deliver, openBus, guard, log }: ConnectorRole): Promise<RunningRole> {
  const topic = outgoingTopic(channel);
  const group = `${channel}-connector`;
  const bus = await openBus();
  await bus.ensureTopics([topic, deadLetterTopic(channel)]);
  const subscription = bus.subscribe(group, topic, guard(group, (records) => deliver.handle(records)));
  log.info({}, `${displayName} mock connector started, consuming from ${topic} topic...`);
  return { name: `connector ${channel}`, stop: () => subscription.stop() };
}
