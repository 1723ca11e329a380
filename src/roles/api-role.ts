import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { LiveEvents } from '../app/live-events.ts';
import { buildHttpServer } from '../http/server.ts';
import type { Hub } from '../main.ts';
import { listeningUrls } from './listening-urls.ts';
import type { RunningRole } from './role.ts';

/**
 * Serves the REST API. Prints every address it listens on; scripts and tests find a random port in the first line,
 * which names an address of this machine.
 */
export async function startApi(hub: Hub, print: (line: string) => void): Promise<RunningRole> {
  const liveEvents = new LiveEvents(hub.store.userEvents);
  await liveEvents.start();
  const app = await buildHttpServer(
    {
      ...hub,
      liveEvents,
      wsHeartbeatMs: hub.config.wsHeartbeatMs,
      channels: [...hub.channels.keys()],
      readiness: [
        { name: 'database', check: () => hub.store.ping(), critical: true },
        // Accepted messages wait in the outbox while the bus is down.
        { name: 'bus', check: () => hub.pingBus(), critical: false },
        // Without storage only files fail; a HEAD of an object that never exists is the cheapest round trip.
        { name: 'storage', check: async () => void (await hub.storage.size('readiness-probe')), critical: false },
      ],
    },
    hub.log.child({ role: 'api' }),
  );
  await app.listen({ host: hub.config.host, port: hub.config.port });
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
