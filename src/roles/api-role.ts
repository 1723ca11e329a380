import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import { LiveEvents } from '../app/live-events.ts';
import type { RevokedSessions } from '../app/revoked-sessions.ts';
import { buildHttpServer, type HttpServices } from '../http/server.ts';
import type { UserEventStore } from '../ports/user-event-store.ts';
import { listeningUrls } from './listening-urls.ts';
import type { RunningRole } from './role.ts';

export interface ApiRole {
  /** What the routes use, but the live events this role runs itself. */
  services: Omit<HttpServices, 'liveEvents'>;
  feeds: UserEventStore;
  /** Ended sessions, loaded before the first request and followed (every `revocationPollMs`; 0: not at all). */
  revoked: RevokedSessions;
  revocationPollMs: number;
  host: string;
  port: number;
  print: (line: string) => void;
  log: Logger;
}

/** How often expired sessions, refresh tokens and revocations are deleted (by every API process: deletes are idempotent). */
const PRUNE_INTERVAL_MS = 10 * 60_000;

/**
 * Serves the REST API. Prints every address it listens on; scripts and tests find a random port in the first line,
 * which names an address of this machine.
 */
export async function startApi({ services, feeds, revoked, revocationPollMs, host, port, print, log }: ApiRole): Promise<RunningRole> {
  await revoked.follow(revocationPollMs, PRUNE_INTERVAL_MS);
  const liveEvents = new LiveEvents(feeds);
  await liveEvents.start();
  const app = await buildHttpServer({ ...services, liveEvents }, log);
  await app.listen({ host, port });
  const bound = app.addresses().filter((address): address is AddressInfo => typeof address === 'object');
  const [first, ...others] = listeningUrls(bound, networkInterfaces());
  // One write: whoever reads the first line finds the others with it.
  print([`Chat4All API listening on ${first} (docs at /docs, ReDoc at /redoc)`, ...others.map((url) => `  and on ${url}`)].join('\n'));
  return {
    name: 'api',
    stop: async () => {
      await app.close();
      await liveEvents.stop();
      await revoked.stop();
    },
  };
}
