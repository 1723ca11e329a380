import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { waitFor } from './api-client.ts';

/** One POST the receiver got: one attempt of one delivery. */
export interface Attempt {
  path: string;
  headers: Record<string, string>;
  body: string;
  payload: any;
  /** The status it was answered with; undefined while it hangs, or after it was dropped. */
  answered?: number;
  /** The sender gave up on it (closed the connection) before any answer. */
  abandoned: boolean;
}

/**
 * How to treat an attempt: answer with a status, hang (never answer), or drop (close the connection at once,
 * as a receiver that is down would).
 */
export type Answer = number | 'hang' | 'drop';

/** A webhook receiver on a random local port that keeps every attempt, for tests to wait on and check. */
export class WebhookReceiver {
  readonly attempts: Attempt[] = [];
  /** Decides each answer; `previous` counts the earlier attempts with the same webhook-id. */
  answer: (attempt: Attempt, previous: number) => Answer = () => 204;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(server: Server) {
    this.#server = server;
    server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    server.on('request', (request, response) => this.#receive(request, response));
  }

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(createServer());
    await new Promise<void>((resolve) => receiver.#server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  /** Its URL; `host` may name it otherwise (`localhost`), it listens on 127.0.0.1 whatever the name. */
  url(path = '/hook', host = '127.0.0.1'): string {
    return `http://${host}:${(this.#server.address() as AddressInfo).port}${path}`;
  }

  /** Attempts on one path that were answered 2xx: deliveries made. */
  delivered(path = '/hook'): Attempt[] {
    return this.attempts.filter((attempt) => attempt.path === path && attempt.answered !== undefined && attempt.answered < 300);
  }

  waitForDelivered(count: number, path = '/hook', what = `${count} deliveries on ${path}`): Promise<Attempt[]> {
    return waitFor(async () => this.delivered(path).length >= count && this.delivered(path), { what });
  }

  waitForAttempt(match: (attempt: Attempt) => boolean, what: string): Promise<Attempt> {
    return waitFor(async () => this.attempts.find(match), { what });
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #receive(request: IncomingMessage, response: ServerResponse): void {
    let body = '';
    request.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, String(value)]));
      const attempt: Attempt = { path: request.url ?? '', headers, body, payload: JSON.parse(body), abandoned: false };
      const previous = this.attempts.filter((a) => a.headers['webhook-id'] === headers['webhook-id']).length;
      this.attempts.push(attempt);
      response.on('close', () => {
        if (!response.writableEnded) attempt.abandoned = true;
      });
      const answer = this.answer(attempt, previous);
      if (answer === 'drop') return void request.socket.destroy();
      if (answer === 'hang') return;
      attempt.answered = answer;
      response.writeHead(answer).end();
    });
  }
}
