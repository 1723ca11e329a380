import type {} from '@fastify/websocket';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { LiveEvents, LiveSession } from '../../app/live-events.ts';
import type { Sessions } from '../../app/sessions.ts';
import type { UserEvent } from '../../ports/user-event-store.ts';
import { websocketSchema } from '../schemas/websocket-schemas.ts';

interface WebSocketRouteOptions {
  liveEvents: LiveEvents;
  /** Tells when the session of a socket's token ends, which closes the socket. */
  sessions: Sessions;
  heartbeatMs: number;
}

/** Close codes of our own (4000–4999 are the application's). */
export const CloseCodes = { TOKEN_EXPIRED: 4001, TOKEN_REVOKED: 4003, TOO_SLOW: 4008, GOING_AWAY: 1001 } as const;

/**
 * Client frames are a resume or a ping, some 50 bytes: ws closes the socket (1009) on a larger one before buffering
 * it, where its default let a client make the hub hold 100 MiB.
 */
export const MAX_CLIENT_FRAME_BYTES = 4 * 1024;

/**
 * Errors on an open socket. A client that broke the protocol (a frame over MAX_CLIENT_FRAME_BYTES, a bad frame)
 * is closed by ws itself, with the code that says why (1009, 1002): that is the client's doing, worth a line, and
 * ending the socket at once would lose that close frame. Anything else is ours: logged, and the socket dropped.
 */
export function onSocketError(error: Error, socket: WebSocket, request: FastifyRequest): void {
  if (String((error as { code?: unknown }).code).startsWith('WS_ERR_')) {
    request.log.info({ err: error }, 'websocket client broke the protocol; closed');
    return;
  }
  request.log.error({ err: error }, 'websocket failed');
  socket.terminate();
}

/** A client that lets this much pile up unsent is dropped rather than buffered without end. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export const websocketRoutes: FastifyPluginAsyncTypebox<WebSocketRouteOptions> = async (app, { liveEvents, sessions, heartbeatMs }) => {
  app.get('/ws', { websocket: true, schema: websocketSchema }, async (socket, request) => {
    const { userId, expiresAt, sessionId } = request.caller;
    const frame = (value: object) => socket.send(JSON.stringify(value));
    let session: LiveSession | undefined;

    const sink = {
      // Sent once the starting point is known, so a client without last_event_id misses nothing after `ready`.
      started(afterEventId: number) {
        frame({ type: 'ready', user_id: userId, last_event_id: afterEventId, heartbeat_ms: heartbeatMs, expires_at: expiresAt.toISOString() });
      },
      send(event: UserEvent) {
        if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
          socket.close(CloseCodes.TOO_SLOW, 'client too slow: reconnect with last_event_id');
          return false;
        }
        frame({ type: event.type, id: event.eventId, occurred_at: event.occurredAt.toISOString(), data: event.data });
        return true;
      },
      gap(from: number, to: number) {
        frame({ type: 'resync', missed_from: from, missed_to: to, detail: 'events older than the retention window were discarded; reload state over REST' });
      },
    };

    let alive = true;
    const heartbeat = setInterval(() => {
      if (!alive) return socket.terminate();
      alive = false;
      socket.ping();
    }, heartbeatMs);
    const expiry = setTimeout(() => socket.close(CloseCodes.TOKEN_EXPIRED, 'token expired'), Math.max(0, expiresAt.getTime() - Date.now()));
    // Signed out, or the account disabled: not one more event goes out on this socket.
    const unwatch = sessions.watch(sessionId, () => {
      session?.close();
      socket.close(CloseCodes.TOKEN_REVOKED, 'token revoked');
    });
    const cleanUp = () => {
      clearInterval(heartbeat);
      clearTimeout(expiry);
      unwatch();
      session?.close();
    };
    socket.on('pong', () => (alive = true));
    socket.on('close', cleanUp);
    socket.on('message', (raw) => onClientFrame(socket, raw.toString(), (afterEventId) => session?.resume(afterEventId)));

    session = await liveEvents.open(userId, request.query.last_event_id, sink);
    if (socket.readyState !== socket.OPEN) session.close();
  });
};

/** Frames a client may send: `{"type":"resume","last_event_id":n}` and `{"type":"ping"}`. */
function onClientFrame(socket: WebSocket, text: string, resume: (afterEventId: number) => void): void {
  let message: { type?: unknown; last_event_id?: unknown };
  try {
    message = JSON.parse(text);
  } catch {
    message = {};
  }
  if (message.type === 'ping') return socket.send(JSON.stringify({ type: 'pong' }));
  if (message.type === 'resume' && Number.isSafeInteger(message.last_event_id) && (message.last_event_id as number) >= 0) {
    return resume(message.last_event_id as number);
  }
  socket.send(JSON.stringify({ type: 'error', detail: 'frames are {"type":"ping"} or {"type":"resume","last_event_id":<integer>}' }));
}
