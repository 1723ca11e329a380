import type { Kysely } from 'kysely';

/**
 * The hub talks SQL through Kysely; PGlite and PostgreSQL differ only in the dialect behind it.
 * Queries are written as SQL (the `sql` tag), so the schema type stays open.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Db = Kysely<any>;

/** A database the hub can run on: the Kysely handle plus what differs between engines. */
export interface SqlDatabase {
  db: Db;
  /** true when this process is the only one using the database (embedded PGlite) */
  exclusive: boolean;
  /**
   * LISTENs on a notification channel. `onNotify` gets each payload, or null after the connection was lost and
   * found again (notifications sent meanwhile are gone). Resolves once listening; the function returned stops.
   */
  listen(channel: string, onNotify: (payload: string | null) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
