import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from '../../../ports/logger.ts';
import type { SqlDatabase } from '../sql-database.ts';
import { listenOnPostgres } from './postgres-listener.ts';

export interface PostgresOptions {
  url: string;
  poolSize: number;
  log: Logger;
}

/** Waiting longer than this for a connection means the server is down: fail fast, the API answers 503. */
const CONNECT_TIMEOUT_MS = 3_000;

/** A PostgreSQL server shared by any number of hub processes. */
export function openPostgresDatabase({ url, poolSize, log }: PostgresOptions): SqlDatabase {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  // A connection dropped by the server (idle in the pool, or checked out mid-query) must not take the process
  // down: the query in flight fails (the API answers 503) and the pool opens a new connection next time.
  const lost = (error: Error) => log.warn({ error: error.message }, 'PostgreSQL connection lost');
  pool.on('error', lost);
  pool.on('connect', (client) => client.on('error', lost));
  const db = new Kysely({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    exclusive: false,
    listen: (channel, onNotify) => listenOnPostgres(url, channel, onNotify, log),
    close: () => db.destroy(),
  };
}
