import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { waitFor } from './api-client.ts';

export interface Frame {
  type: string;
  id?: number;
  occurred_at?: string;
  data?: any;
  [field: string]: unknown;
}

export interface EventSocketOptions {
  /** How the token travels: the Authorization header (default), the `token` query parameter, or the subprotocol. */
  via?: 'header' | 'query' | 'subprotocol';
  lastEventId?: number;
  /** Answer the server's pings (default true); false plays a client that went silent. */
  autoPong?: boolean;
}

/** A client of GET /v1/ws that keeps every frame it got, for tests to wait on. */
export class EventSocket {
  readonly frames: Frame[] = [];
  readonly socket: WebSocket;
  pings = 0;
  closed: { code: number; reason: string } | undefined;

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.on('message', (data) => this.frames.push(JSON.parse(data.toString())));
    socket.on('ping', () => this.pings++);
    socket.on('close', (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  static url(baseUrl: string, query: Record<string, string | number | undefined>): string {
    const url = new URL('/v1/ws', baseUrl.replace(/^http/, 'ws'));
    for (const [name, value] of Object.entries(query)) if (value !== undefined) url.searchParams.set(name, String(value));
    return url.toString();
  }

  static async open(baseUrl: string, token: string, options: EventSocketOptions = {}): Promise<EventSocket> {
    const via = options.via ?? 'header';
    const url = EventSocket.url(baseUrl, { last_event_id: options.lastEventId, token: via === 'query' ? token : undefined });
    const socket = new WebSocket(url, via === 'subprotocol' ? ['bearer', token] : [], {
      headers: via === 'header' ? { authorization: `Bearer ${token}` } : {},
      autoPong: options.autoPong ?? true,
    });
    const client = new EventSocket(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    await waitFor(async () => client.frames.some((frame) => frame.type === 'ready'), { what: 'the ready frame' });
    return client;
  }

  /** Frames that are events (not ready, pong, resync, error). */
  get events(): Frame[] {
    return this.frames.filter((frame) => typeof frame.id === 'number');
  }

  waitForEvents(count: number, what = `${count} events`): Promise<Frame[]> {
    return waitFor(async () => this.events.length >= count && this.events, { what });
  }

  waitForEvent(match: (frame: Frame) => boolean, what: string): Promise<Frame> {
    return waitFor(async () => this.events.find(match), { what });
  }

  waitForClose(timeoutMs = 15_000): Promise<{ code: number; reason: string }> {
    return waitFor(async () => this.closed, { what: 'the socket to close', timeoutMs });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.socket.close();
    return this.waitForClose().then(() => undefined);
  }
}

/** Tries an upgrade that the hub should refuse; resolves with the HTTP status and problem body it answered. */
export function refusedUpgrade(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('open', () => reject(new Error('the upgrade was accepted')));
    socket.once('unexpected-response', (_request, response: IncomingMessage) => {
      let text = '';
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text) }));
    });
    socket.once('error', () => {});
  });
}
