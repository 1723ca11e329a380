import type { Logger } from 'pino';
import type { FanOutEvents } from '../app/fan-out-events.ts';
import { HUB_EVENTS_TOPIC } from '../domain/hub-events.ts';
import type { UserEventStore } from '../ports/user-event-store.ts';
import type { Consumer, RunningRole } from './role.ts';

export const NOTIFIER_GROUP = 'notifier';
const PRUNE_EVERY_MS = 10 * 60_000;

export interface NotifierRole extends Consumer {
  fanOut: FanOutEvents;
  feeds: UserEventStore;
  retentionHours: number;
  log: Logger;
}

/** hub_events → every audience member's feed (which the API pushes over WebSockets); prunes old feed entries. */
export async function startNotifier({ fanOut, feeds, retentionHours, openBus, guard, log }: NotifierRole): Promise<RunningRole> {
  const bus = await openBus();
  await bus.ensureTopics([HUB_EVENTS_TOPIC]);
  const subscription = bus.subscribe(NOTIFIER_GROUP, HUB_EVENTS_TOPIC, guard(NOTIFIER_GROUP, (records) => fanOut.handle(records)));
  const prune = async () => {
    const before = new Date(Date.now() - retentionHours * 3_600_000);
    const pruned = await feeds.prune(before).catch((error: unknown) => {
      log.warn({ error: (error as Error).message }, 'pruning old feed events failed');
      return 0;
    });
    if (pruned > 0) log.info({ pruned }, 'pruned feed events older than the retention window');
  };
  const timer = setInterval(() => void prune(), PRUNE_EVERY_MS).unref();
  log.info({}, `Notifier started, consuming from ${HUB_EVENTS_TOPIC} topic...`);
  return {
    name: 'notifier',
    stop: async () => {
      clearInterval(timer);
      await subscription.stop();
    },
  };
}
