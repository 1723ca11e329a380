import { CircuitBreaker } from '../app/circuit-breaker.ts';
import { DeliverMessages } from '../app/deliver-messages.ts';
import { outgoingTopic } from '../domain/channels.ts';
import { deadLetterTopic } from '../domain/dead-letters.ts';
import type { Hub } from '../main.ts';
import type { RunningRole } from './role.ts';

/** The seed's line for a delivery, kept verbatim (Portuguese) so existing scripts still find it. */
export function deliveryLine(messageId: string, recipientId: string, displayName: string): string {
  return `INFO: Mensagem ${messageId} enviada para o usuário ${recipientId} no ${displayName}`;
}

export async function startConnector(hub: Hub, channel: string, print: (line: string) => void): Promise<RunningRole> {
  const connector = hub.channels.get(channel);
  if (!connector) {
    throw new Error(`unknown channel "${channel}"; registered channels: ${[...hub.channels.keys()].join(', ')}`);
  }
  const log = hub.log.child({ role: 'connector', channel });
  const topic = outgoingTopic(channel);
  const bus = await hub.openBus();
  await bus.ensureTopics([topic, deadLetterTopic(channel)]);
  const { connectorRetry, circuitBreaker } = hub.config;
  const deliver = new DeliverMessages({
    deliveries: hub.store.deliveries,
    identities: hub.store.identities,
    connector,
    retry: connectorRetry,
    breaker: new CircuitBreaker({
      ...circuitBreaker,
      onOpen: (cooldownMs) => log.warn({ cooldownMs }, `${connector.displayName} keeps failing: circuit open, pausing sends`),
    }),
    onRecorded: (recorded) => {
      // One write for the batch, straight after its commit: a crash can fall between the two only during one
      // system call, not during one per line.
      const lines = recorded
        .filter(({ outcome }) => outcome.status === 'sent')
        .map(({ event, outcome }) => deliveryLine(event.message_id, outcome.recipientId, connector.displayName));
      if (lines.length > 0) print(lines.join('\n'));
      for (const { event, outcome } of recorded) {
        if (outcome.status === 'failed') {
          log.warn({ message_id: event.message_id, recipient_id: outcome.recipientId, reason: outcome.reason }, 'delivery failed');
        }
      }
    },
  });
  const subscription = bus.subscribe(`${channel}-connector`, topic, (records) => deliver.handle(records));
  log.info({}, `${connector.displayName} mock connector started, consuming from ${topic} topic...`);
  return { name: `connector ${channel}`, stop: () => subscription.stop() };
}
