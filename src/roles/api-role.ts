import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import { LiveEvents } from '../app/live-events.ts';
import { buildHttpServer, type HttpServices } from '../http/server.ts';
import type { UserEventStore } from '../ports/user-event-store.ts';
import { listeningUrls } from './listening-urls.ts';
import type { RunningRole } from './role.ts';

export interface ApiRole {
  /** What the routes use, but the live events this role runs itself. */
  services: Omit<HttpServices, 'liveEvents'>;
  feeds: UserEventStore;
  host: string;
  port: number;
  print: (line: string) => void;
  log: Logger;
}

/**
 * Serves the REST API. Prints every address it listens on; scripts and tests find a random port in the first line,
 * which names an address of this machine.
 */
export async function startApi({ services, feeds, host, port, print, log }: ApiRole): Promise<RunningRole> {
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
    },
  };
}
