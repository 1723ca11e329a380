import type { Logger } from 'pino';
import type { CleanupUploads } from '../app/cleanup-uploads.ts';
import type { RunningRole } from './role.ts';

export interface CleanupRole {
  cleanup: CleanupUploads;
  intervalSeconds: number;
  maxAgeSeconds: number;
  log: Logger;
}

/** Aborts abandoned uploads now and then every CHAT4ALL_CLEANUP_INTERVAL_SECONDS; any number may run at once. */
export async function startCleanup({ cleanup, intervalSeconds, maxAgeSeconds, log }: CleanupRole): Promise<RunningRole> {
  let running: Promise<void> = Promise.resolve();
  const pass = () => {
    running = cleanup.runOnce().then(
      (released) => {
        if (released > 0) log.info({ released }, `aborted ${released} abandoned upload(s)`);
      },
      (error: unknown) => log.warn({ err: error }, 'cleanup pass failed; trying again at the next one'),
    );
  };
  pass();
  const timer = setInterval(() => void running.then(pass), intervalSeconds * 1000);
  log.info({}, `Upload cleanup started: aborting uploads older than ${maxAgeSeconds} s, every ${intervalSeconds} s`);
  return {
    name: 'cleanup',
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
