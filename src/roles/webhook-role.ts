import type { Logger } from 'pino';
import type { WebhookDispatcher } from '../app/dispatch-webhooks.ts';
import type { WebhookQueue } from '../ports/webhook-queue.ts';
import type { RunningRole } from './role.ts';

const PRUNE_EVERY_MS = 10 * 60_000;

export interface WebhooksRole {
  dispatcher: WebhookDispatcher;
  queue: WebhookQueue;
  retentionHours: number;
  log: Logger;
}

/** Delivers queued webhook deliveries; prunes settled ones after the feeds' retention window. */
export async function startWebhooks({ dispatcher, queue, retentionHours, log }: WebhooksRole): Promise<RunningRole> {
  await dispatcher.start();
  const prune = async () => {
    const before = new Date(Date.now() - retentionHours * 3_600_000);
    const pruned = await queue.prune(before).catch((error: unknown) => {
      log.warn({ error: (error as Error).message }, 'pruning settled webhook deliveries failed');
      return 0;
    });
    if (pruned > 0) log.info({ pruned }, 'pruned webhook deliveries settled before the retention window');
  };
  const timer = setInterval(() => void prune(), PRUNE_EVERY_MS).unref();
  log.info({}, 'Webhook dispatcher started, delivering queued webhook deliveries');
  return {
    name: 'webhooks',
    stop: async () => {
      clearInterval(timer);
      await dispatcher.stop();
    },
  };
}
