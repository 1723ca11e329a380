import { CircuitBreaker } from '../app/circuit-breaker.ts';
import { DeliverMessages } from '../app/deliver-messages.ts';
import { outgoingTopic } from '../domain/channels.ts';
import { deadLetterTopic } from '../domain/dead-letters.ts';
import type { Hub } from '../main.ts';
import { guarded } from './guarded.ts';
import type { RunningRole } from './role.ts';

export async function startConnector(hub: Hub, channel: string): Promise<RunningRole> {
  const connector = hub.channels.get(channel);
  if (!connector) {
    throw new Error(`unknown channel "${channel}"; registered channels: ${[...hub.channels.keys()].join(', ')}`);
  }
  const log = hub.log.child({ role: 'connector', channel });
  const topic = outgoingTopic(channel);
  const group = `${channel}-connector`;
  const bus = await hub.openBus();
  await bus.ensureTopics([topic, deadLetterTopic(channel)]);
  const { connectorRetry, circuitBreaker } = hub.config;
  const deliver = new DeliverMessages({
    ledger: hub.store.ledger,
    connector,
    retry: connectorRetry,
    breaker: new CircuitBreaker({
      ...circuitBreaker,
      onOpen: (cooldownMs) => log.warn({ cooldownMs }, `${connector.displayName} keeps failing: circuit open, pausing sends`),
    }),
    onFailed: (event, recipientId, reason) => log.warn({ message_id: event.message_id, recipient_id: recipientId, reason }, 'delivery failed'),
  });
  const guard = guarded(hub, group, log, (records) => deliver.handle(records));
  const subscription = bus.subscribe(group, topic, guard.handler);
  log.info({}, `${connector.displayName} mock connector started, consuming from ${topic} topic...`);
  return {
    name: `connector ${channel}`,
    stop: async () => {
      await subscription.stop();
      guard.unprocessable.logTotal();
    },
  };
}
