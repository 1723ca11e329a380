import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Logger } from '../../../ports/logger.ts';
import type { SqlDatabase } from '../sql-database.ts';

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
  // An idle connection dropped by the server must not take the process down; the pool replaces it.
  pool.on('error', (error) => log.warn({ err: error }, 'idle PostgreSQL connection lost'));
  const db = new Kysely({ dialect: new PostgresDialect({ pool }) });
  return { db, exclusive: false, close: () => db.destroy() };
}
