import type { Logger } from 'pino';
import type { DeliverMessages } from '../app/deliver-messages.ts';
import type { SendVerificationCodes } from '../app/send-verification-codes.ts';
import { outgoingTopic } from '../domain/channels.ts';
import { deadLetterTopic } from '../domain/dead-letters.ts';
import { verificationCodeTopic } from '../domain/verification-codes.ts';
import type { Consumer, RunningRole } from './role.ts';

export interface ConnectorRole extends Consumer {
  channel: string;
  displayName: string;
  deliver: DeliverMessages;
  sendCodes: SendVerificationCodes;
  log: Logger;
}

/**
 * A channel's connector: delivers the messages dispatched to the channel, and sends the verification codes of
 * claims on it. Each in a consumer group of its own, so a backlog of messages never holds back a code that expires.
 */
export async function startConnector({ channel, displayName, deliver, sendCodes, openBus, guard, log }: ConnectorRole): Promise<RunningRole> {
  const topic = outgoingTopic(channel);
  const codes = verificationCodeTopic(channel);
  const group = `${channel}-connector`;
  const codesGroup = `${channel}-verification-codes`;
  const bus = await openBus();
  await bus.ensureTopics([topic, deadLetterTopic(channel), codes]);
  const subscriptions = [
    bus.subscribe(group, topic, guard(group, (records) => deliver.handle(records))),
    bus.subscribe(codesGroup, codes, guard(codesGroup, (records) => sendCodes.handle(records))),
  ];
  log.info({}, `${displayName} mock connector started, consuming from ${topic} and ${codes} topics...`);
  return { name: `connector ${channel}`, stop: async () => void (await Promise.all(subscriptions.map((subscription) => subscription.stop()))) };
}
