import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Logger } from '../../../ports/logger.ts';

const RECONNECT_MS = [100, 250, 500, 1_000, 2_000, 5_000];

/**
 * LISTEN needs a connection of its own for as long as it listens (a pooled one goes back to the pool).
 * When it drops, this one reconnects with backoff, and tells the listener that it may have missed some.
 */
export async function listenOnPostgres(
  url: string,
  channel: string,
  onNotify: (payload: string | null) => void,
  log: Logger,
): Promise<() => Promise<void>> {
  let stopped = false;
  let client: pg.Client | undefined;

  const connect = async (): Promise<void> => {
    const next = new pg.Client({ connectionString: url });
    next.on('notification', (message) => {
      if (message.channel === channel) onNotify(message.payload ?? '');
    });
    next.on('error', (error) => {
      log.warn({ error: error.message, channel }, 'LISTEN connection lost; reconnecting');
      void next.end().catch(() => {});
      if (client === next) void reconnect();
    });
    await next.connect();
    await next.query(`LISTEN "${channel.replaceAll('"', '""')}"`);
    client = next;
  };

  const reconnect = async (): Promise<void> => {
    client = undefined;
    for (let attempt = 0; !stopped; attempt++) {
      await sleep(RECONNECT_MS[Math.min(attempt, RECONNECT_MS.length - 1)]!);
      if (stopped) return;
      try {
        await connect();
        onNotify(null);
        return;
      } catch (error) {
        log.warn({ error: (error as Error).message, channel, attempt }, 'LISTEN reconnect failed');
      }
    }
  };

  await connect();
  return async () => {
    stopped = true;
    await client?.end().catch(() => {});
  };
}
