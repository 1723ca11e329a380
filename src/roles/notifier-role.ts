import { FanOutEvents } from '../app/fan-out-events.ts';
import { HUB_EVENTS_TOPIC } from '../domain/hub-events.ts';
import type { Hub } from '../main.ts';
import { guarded } from './guarded.ts';
import type { RunningRole } from './role.ts';

export const NOTIFIER_GROUP = 'notifier';
const PRUNE_EVERY_MS = 10 * 60_000;

/** hub_events → every audience member's feed (which the API pushes over WebSockets); prunes old feed entries. */
export async function startNotifier(hub: Hub): Promise<RunningRole> {
  const log = hub.log.child({ role: 'notifier' });
  const bus = await hub.openBus();
  await bus.ensureTopics([HUB_EVENTS_TOPIC]);
  const fanOut = new FanOutEvents(hub.store.userEvents);
  const guard = guarded(hub, NOTIFIER_GROUP, log, (records) => fanOut.handle(records));
  const subscription = bus.subscribe(NOTIFIER_GROUP, HUB_EVENTS_TOPIC, guard.handler);
  const prune = async () => {
    const before = new Date(Date.now() - hub.config.eventRetentionHours * 3_600_000);
    const pruned = await hub.store.userEvents.prune(before).catch((error: unknown) => {
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
      guard.unprocessable.logTotal();
    },
  };
}
