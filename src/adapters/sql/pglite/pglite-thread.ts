/**
 * The thread that owns the embedded database. PGlite runs PostgreSQL in WebAssembly on the thread that calls
 * it; here that is not the event loop serving HTTP, so on a machine with two cores the database and the API
 * each get one. Queries, transactions and LISTENs come in as messages (pglite-protocol.ts).
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { PreparedStatements } from './pglite-prepared.ts';
import { startPglite } from './pglite-start.ts';
import { serializeError, type ThreadNotification, type ThreadReply, type ThreadRequest } from './pglite-protocol.ts';

const ROLLBACK = Symbol('rollback');

interface OpenTransaction {
  finish(commit: boolean): void;
  done: Promise<void>;
}

/** Opens the database in `dir` and answers the requests that come through `port`, until `close`. */
async function serve(port: MessagePort, dir: string): Promise<void> {
  const pglite = await startPglite(dir);
  const statements = new PreparedStatements(pglite);
  const transactions = new Map<number, OpenTransaction>();
  let nextTransaction = 1;
  const listeners = new Map<number, () => Promise<void>>();
  let nextListener = 1;

  const reply = (message: ThreadReply) => port.postMessage(message);

  async function begin(): Promise<number> {
    const id = nextTransaction++;
    return new Promise<number>((started, failed) => {
      let finish!: (commit: boolean) => void;
      const decided = new Promise<boolean>((resolve) => (finish = resolve));
      // PGlite calls back only after awaiting its lock, so `done` is assigned by then.
      const done: Promise<void> = pglite
        .transaction(async () => {
          transactions.set(id, { finish, done });
          started(id);
          if (!(await decided)) throw ROLLBACK;
        })
        .catch((error: unknown) => {
          if (error !== ROLLBACK) throw error;
        })
        .finally(() => transactions.delete(id));
      // A transaction that could not even begin fails its `begin`; one that failed later fails its `end`.
      done.catch(failed);
    });
  }

  async function handle(request: ThreadRequest): Promise<unknown> {
    switch (request.op) {
      case 'query': {
        if (request.tx !== undefined && !transactions.has(request.tx)) throw new Error(`transaction ${request.tx} is not open`);
        return statements.query(request.sql, request.params, request.tx !== undefined);
      }
      case 'begin':
        return begin();
      case 'end': {
        const open = transactions.get(request.tx);
        if (!open) throw new Error(`transaction ${request.tx} is not open`);
        open.finish(request.commit);
        await open.done;
        return null;
      }
      case 'listen': {
        const listener = nextListener++;
        const notify = (payload: string) => port.postMessage({ listener, payload } satisfies ThreadNotification);
        listeners.set(listener, await pglite.listen(request.channel, notify));
        return listener;
      }
      case 'unlisten':
        await listeners.get(request.listener)?.();
        listeners.delete(request.listener);
        return null;
      case 'close':
        await pglite.close();
        return null;
    }
  }

  port.on('message', (request: ThreadRequest) => {
    handle(request).then(
      (value) => reply({ id: request.id, ok: true, value }),
      (error: unknown) => reply({ id: request.id, ok: false, error: serializeError(error) }),
    );
  });
  port.postMessage({ id: 0, ok: true, value: 'ready' } satisfies ThreadReply);
}

// Only as a worker's entry point: imported anywhere else (scripts/import-hub-modules.ts) it does nothing.
if (parentPort && workerData) await serve(parentPort, (workerData as { dir: string }).dir);
