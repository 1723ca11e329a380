import { LiveEvents } from '../app/live-events.ts';
import { buildHttpServer } from '../http/server.ts';
import type { Hub } from '../main.ts';
import type { RunningRole } from './role.ts';

/** Serves the REST API. Prints the address it listens on, so scripts and tests can find a random port. */
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
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : hub.config.port;
  const { host: bound } = hub.config;
  // Listening on every interface: show the address a person on this machine would type.
  const host = ['0.0.0.0', '::'].includes(bound) ? 'localhost' : bound.includes(':') ? `[${bound}]` : bound;
  print(`Chat4All API listening on http://${host}:${port} (docs at /docs, ReDoc at /redoc)`);
  return {
    name: 'api',
    stop: async () => {
      await app.close();
      await liveEvents.stop();
    },
  };
}
