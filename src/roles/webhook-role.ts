import { WebhookDispatcher } from '../app/dispatch-webhooks.ts';
import { MAX_RETRY_DELAY_MS } from '../domain/webhook-retry.ts';
import type { Hub } from '../main.ts';
import type { RunningRole } from './role.ts';

const PRUNE_EVERY_MS = 10 * 60_000;

/** Delivers queued webhook deliveries; prunes settled ones after the feeds' retention window. */
export async function startWebhooks(hub: Hub): Promise<RunningRole> {
  const { config } = hub;
  const log = hub.log.child({ role: 'webhooks' });
  const queue = hub.store.webhookQueue;
  const dispatcher = new WebhookDispatcher(
    queue,
    hub.webhookSender,
    {
      concurrency: config.webhookConcurrency,
      // A quarter of the slots at most per endpoint: three slow receivers still leave room for every other one.
      perEndpoint: Math.ceil(config.webhookConcurrency / 4),
      attemptTimeoutMs: config.webhookTimeoutMs,
      retry: {
        baseDelayMs: config.webhookBackoffBaseMs,
        maxDelayMs: MAX_RETRY_DELAY_MS,
        windowMs: config.webhookRetryWindowSeconds * 1000,
      },
    },
    log,
  );
  await dispatcher.start();
  const prune = async () => {
    const before = new Date(Date.now() - config.eventRetentionHours * 3_600_000);
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
