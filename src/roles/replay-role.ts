import type { Logger } from 'pino';
import { relayOutbox } from '../app/relay-outbox.ts';
import type { ReplayDeadLetters } from '../app/replay-dead-letters.ts';
import { outgoingTopic } from '../domain/channels.ts';
import { deadLetterTopic } from '../domain/dead-letters.ts';
import type { MessageBus } from '../ports/message-bus.ts';
import type { Outbox } from '../ports/outbox.ts';
import type { RunningRole } from './role.ts';

export interface ReplayRole {
  channel: string;
  replay: ReplayDeadLetters;
  outbox: Outbox;
  openBus(): Promise<MessageBus>;
  log: Logger;
}

/** The replay is done when its topic gave nothing for this long (and for longer before the first batch). */
const IDLE_MS = 3_000;
const FIRST_WAIT_MS = 15_000;

export interface RunningReplay extends RunningRole {
  /** Resolves once the dead-letter topic is drained: deliveries that went out again, records that were no dead letter. */
  done: Promise<{ replayed: number; skipped: number }>;
}

/**
 * An operator's one-off role: drains the channel's dead-letter topic, putting each delivery back on the channel's
 * topic (ReplayDeadLetters), then stops by itself. It relays its own outbox records: dead letters a stopped
 * connector left there go out first, and the dispatches it writes go out with them when the bus is Kafka.
 */
export async function startReplay({ channel, replay, outbox, openBus, log }: ReplayRole): Promise<RunningReplay> {
  const bus = await openBus();
  await bus.ensureTopics([deadLetterTopic(channel), outgoingTopic(channel)]);
  const relay = relayOutbox(outbox, bus);
  let lastBatch: number | undefined;
  const subscription = bus.subscribe(`${channel}-dead-letter-replay`, deadLetterTopic(channel), async (records) => {
    await replay.handle(records);
    lastBatch = Date.now();
  });
  log.info({}, `Replaying ${channel} dead letters...`);
  const stop = async () => {
    await subscription.stop();
    await relay.stop();
  };
  const done = (async () => {
    // Joining a consumer group can take seconds: wait longer for the first batch than between batches.
    const started = Date.now();
    while (lastBatch === undefined ? Date.now() - started < FIRST_WAIT_MS : Date.now() - lastBatch < IDLE_MS) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await stop();
    return { replayed: replay.replayed, skipped: replay.skipped };
  })();
  return { name: `dead-letter replay ${channel}`, stop, done };
}
