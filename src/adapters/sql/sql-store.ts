import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import type { Store } from '../../ports/store.ts';
import type { Logger } from '../../ports/logger.ts';
import type { Wakeup } from '../wakeup.ts';
import { migrate } from './migrate.ts';
import { isDatabaseUnavailable } from './sql-errors.ts';
import { releaseStaleLeases } from './partition-leases.ts';
import type { LoopSettings } from './partition-loop.ts';
import type { SqlDatabase } from './sql-database.ts';
import { SqlClientStore } from './sql-client-store.ts';
import { SqlConversationStore } from './sql-conversation-store.ts';
import { SqlFileCatalog } from './sql-file-catalog.ts';
import { SqlIdempotencyStore } from './sql-idempotency-store.ts';
import { SqlIdentityStore } from './sql-identity-store.ts';
import { SqlMessageStore } from './sql-message-store.ts';
import { SqlOutbox } from './sql-outbox.ts';
import { BusAppender } from './records/bus-appender.ts';
import { OutboxAppender } from './records/outbox-appender.ts';
import type { RecordAppender } from './records/record-appender.ts';
import { SqlLedgerStore } from './sql-ledger-store.ts';
import { SqlSessionStore } from './sql-session-store.ts';
import { SqlSettingsStore } from './sql-settings-store.ts';
import { SqlUserEventStore } from './sql-user-event-store.ts';
import { SqlUserStore } from './sql-user-store.ts';
import { SqlWebhookQueue } from './sql-webhook-queue.ts';
import { SqlWebhookStore } from './sql-webhook-store.ts';

export interface SqlStoreOptions {
  outboxPartitions: number;
  loop: LoopSettings;
  outboxWakeup: Wakeup;
  /** Set when the bus lives in this database: records go straight to its log, waking its readers by topic. */
  busOnDatabase?: { partitions: number; wake: (topic: string) => void };
  log: Logger;
}

const STARTUP_PATIENCE_MS = 60_000;
/** Requests one accept statement takes at most. */
const ACCEPT_BATCH = 256;
/**
 * Accept statements in flight per process. One: the fewer statements, the bigger each batch and the less CPU
 * per message in PostgreSQL, which shares the cores (2 cores: 6.2k/s with one lane, 3.9k/s with five; BENCHMARKS.md).
 * More API processes add lanes.
 */
const ACCEPT_LANES = 1;

/** A process started before its database server waits for it (up to a minute) instead of exiting at once. */
async function untilReachable(work: () => Promise<void>, log: Logger): Promise<void> {
  const deadline = Date.now() + STARTUP_PATIENCE_MS;
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isDatabaseUnavailable(error) || Date.now() > deadline) throw error;
      log.warn({ error: (error as Error).message, attempt }, 'database not reachable yet; retrying');
      await sleep(Math.min(500 * attempt, 5_000));
    }
  }
}

/** The Store port on SQL; the same code serves PGlite and PostgreSQL. */
export async function openSqlStore(database: SqlDatabase, options: SqlStoreOptions): Promise<Store> {
  const { db } = database;
  await untilReachable(() => migrate(db), options.log);
  if (database.exclusive) await releaseStaleLeases(db);
  // Alone on its database (PGlite), the process wakes its relay itself; on a server, relays elsewhere are told.
  const appender: RecordAppender = options.busOnDatabase
    ? new BusAppender(options.busOnDatabase)
    : new OutboxAppender({ partitions: options.outboxPartitions, wakeRelay: () => options.outboxWakeup.notify(), announce: !database.exclusive });
  return {
    users: new SqlUserStore(db),
    sessions: new SqlSessionStore(db),
    clients: new SqlClientStore(db),
    conversations: new SqlConversationStore(db),
    messages: new SqlMessageStore(db, { lanes: ACCEPT_LANES, maxBatch: ACCEPT_BATCH, appender }),
    ledger: new SqlLedgerStore(db, appender),
    settings: new SqlSettingsStore(db),
    userEvents: new SqlUserEventStore(database),
    files: new SqlFileCatalog(db),
    identities: new SqlIdentityStore(db, appender),
    webhooks: new SqlWebhookStore(db),
    webhookQueue: new SqlWebhookQueue(database),
    idempotencyKeys: new SqlIdempotencyStore(db),
    outbox: new SqlOutbox(database, {
      ...options.loop,
      partitions: options.outboxPartitions,
      appender,
      wakeup: options.outboxWakeup,
      log: options.log,
    }),
    async ping() {
      await sql`SELECT 1`.execute(db);
    },
    close: () => database.close(),
  };
}
