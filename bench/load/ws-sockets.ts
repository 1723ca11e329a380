import WebSocket from 'ws';

/** Who a socket belongs to: a signed-in user of the hub. */
export interface WsClient {
  token: string;
  userId: string;
}

/** The hub's frames: `{"type":"ready",…}`, then events `{"type","id","occurred_at","data"}`. */
export interface Frame {
  type: string;
  id?: number;
  data?: { message_id?: string; status?: string };
}

/** One open /v1/ws connection and what happened to it since it said ready. */
export interface OpenSocket {
  socket: WebSocket;
  userId: string;
  /** Server pings received (the client answers each with a pong, as every WebSocket client does). */
  pings: number;
  /** The close code, once the connection closed. */
  closedWith: number | null;
}

/**
 * Opens one GET /v1/ws connection per client (token in the Authorization header), at most `concurrency`
 * handshakes at a time, and resolves once every one of them got its `ready` frame. Later frames go to
 * `onFrame` with the socket's index, at the time they arrive.
 */
export async function openSockets(
  url: string,
  clients: readonly WsClient[],
  options: { concurrency: number; onFrame?: (index: number, frame: Frame) => void },
): Promise<OpenSocket[]> {
  const target = new URL('/v1/ws', url.replace(/^http/, 'ws'));
  const sockets: OpenSocket[] = new Array(clients.length);
  let next = 0;
  const open = (index: number) =>
    new Promise<void>((resolve, reject) => {
      const client = clients[index]!;
      const socket = new WebSocket(target, { headers: { authorization: `Bearer ${client.token}` } });
      const entry: OpenSocket = { socket, userId: client.userId, pings: 0, closedWith: null };
      sockets[index] = entry;
      let ready = false;
      socket.on('ping', () => entry.pings++);
      socket.on('close', (code) => {
        entry.closedWith = code;
        if (!ready) reject(new Error(`socket ${index} closed (${code}) before it was ready`));
      });
      socket.on('error', (error) => {
        if (!ready) reject(error);
      });
      socket.on('unexpected-response', (_request, response) => reject(new Error(`socket ${index}: HTTP ${response.statusCode} instead of an upgrade`)));
      socket.on('message', (raw) => {
        const frame = JSON.parse(raw.toString()) as Frame;
        if (ready) return options.onFrame?.(index, frame);
        if (frame.type !== 'ready') return reject(new Error(`socket ${index}: first frame ${frame.type}, not ready`));
        ready = true;
        resolve();
      });
    });
  const worker = async () => {
    while (next < clients.length) await open(next++);
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, clients.length) }, worker));
  return sockets;
}

/** Ends every connection at once, without a closing handshake: the load generator is leaving. */
export function dropSockets(sockets: readonly OpenSocket[]): void {
  for (const { socket } of sockets) socket.terminate();
}
