import type { Hub } from '../main.ts';
import type { RunningRole } from './role.ts';

/** Aborts abandoned uploads now and then every CHAT4ALL_CLEANUP_INTERVAL_SECONDS; any number may run at once. */
export async function startCleanup(hub: Hub): Promise<RunningRole> {
  const log = hub.log.child({ role: 'cleanup' });
  let running: Promise<void> = Promise.resolve();
  const pass = () => {
    running = hub.cleanupUploads.runOnce().then(
      (released) => {
        if (released > 0) log.info({ released }, `aborted ${released} abandoned upload(s)`);
      },
      (error: unknown) => log.warn({ err: error }, 'cleanup pass failed; trying again at the next one'),
    );
  };
  pass();
  const timer = setInterval(() => void running.then(pass), hub.config.cleanupIntervalSeconds * 1000);
  log.info(
    {},
    `Upload cleanup started: aborting uploads older than ${hub.config.uploadMaxAgeSeconds} s, every ${hub.config.cleanupIntervalSeconds} s`,
  );
  return {
    name: 'cleanup',
    stop: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
