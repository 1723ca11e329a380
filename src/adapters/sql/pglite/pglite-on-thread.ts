import { Worker } from 'node:worker_threads';
import type { PGlite } from '@electric-sql/pglite';
import { deserializeError, type ThreadNotification, type ThreadReply, type ThreadRequest } from './pglite-protocol.ts';

type Results = { rows: unknown[]; affectedRows?: number };
type Body<R> = R extends unknown ? Omit<R, 'id'> : never;

/**
 * PGlite on its own thread (pglite-thread.ts), seen through the part of PGlite's interface that Kysely's
 * PGlite dialect uses (query, transaction, ready, close) plus listen. Same semantics: statements run one at a time, and a
 * query outside a transaction waits until the open transaction ends.
 */
export class PGliteOnThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  #nextId = 1;
  #closed = false;
  readonly #listeners = new Map<number, (payload: string) => void>();
  readonly waitReady: Promise<void>;
  ready = false;

  private constructor(dir: string) {
    this.#worker = new Worker(new URL('./pglite-thread.ts', import.meta.url), { workerData: { dir } });
    this.waitReady = new Promise<void>((resolve, reject) => {
      this.#pending.set(0, { resolve: () => ((this.ready = true), resolve()), reject });
      this.#worker.once('error', reject);
    });
    this.#worker.on('message', (reply: ThreadReply | ThreadNotification) => {
      if ('listener' in reply) return this.#listeners.get(reply.listener)?.(reply.payload);
      const waiter = this.#pending.get(reply.id);
      this.#pending.delete(reply.id);
      if (reply.ok) waiter?.resolve(reply.value);
      else waiter?.reject(deserializeError(reply.error));
    });
    this.#worker.on('error', (error) => {
      for (const waiter of this.#pending.values()) waiter.reject(error);
      this.#pending.clear();
    });
  }

  static async create(dir: string): Promise<PGliteOnThread> {
    const db = new PGliteOnThread(dir);
    await db.waitReady;
    return db;
  }

  /** What Kysely's dialect takes: it only calls the members this class has. */
  asPGlite(): PGlite {
    return this as unknown as PGlite;
  }

  get closed(): boolean {
    return this.#closed;
  }

  #call<T>(request: Body<ThreadRequest>): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#worker.postMessage({ ...request, id });
    });
  }

  query(sql: string, params: unknown[] = []): Promise<Results> {
    return this.#call({ op: 'query', tx: undefined, sql, params });
  }

  async transaction<T>(callback: (tx: { query(sql: string, params?: unknown[]): Promise<Results> }) => Promise<T>): Promise<T> {
    const tx = await this.#call<number>({ op: 'begin' });
    let result: T;
    try {
      result = await callback({ query: (sql, params = []) => this.#call({ op: 'query', tx, sql, params }) });
    } catch (error) {
      await this.#call({ op: 'end', tx, commit: false }).catch(() => {});
      throw error;
    }
    await this.#call({ op: 'end', tx, commit: true });
    return result;
  }

  /** LISTENs on a channel; resolves once listening, with the function that stops. */
  async listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    const listener = await this.#call<number>({ op: 'listen', channel });
    this.#listeners.set(listener, onNotify);
    return async () => {
      this.#listeners.delete(listener);
      await this.#call({ op: 'unlisten', listener });
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#call({ op: 'close' });
    await this.#worker.terminate();
  }
}
