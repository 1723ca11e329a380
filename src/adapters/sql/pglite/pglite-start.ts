import { PGlite } from '@electric-sql/pglite';

/**
 * PGlite runs PostgreSQL in single-user mode, where autovacuum never runs, so no table is ever analyzed and the
 * planner knows only a table's size when it plans. A generic plan of a prepared statement (pglite-prepared.ts) is
 * made once, while the tables may still be small, and stays: one made on a near-empty table read its whole index as
 * the table grew (delivery fell to a quarter within a minute at 500 msg/s). Custom plans are made for the tables as
 * they are and the values given; statements are still parsed once.
 */
const CUSTOM_PLANS = ['-c', 'plan_cache_mode=force_custom_plan'];

/**
 * PostgreSQL's default 128 MB of shared buffers are all resident in PGlite (its WebAssembly memory never shrinks)
 * and were half of the embedded hub's memory; 16 MB still hold a single-node hub's hot pages (history pages by
 * cursor stay under 10 ms on a million messages), the rest is read back from the OS's page cache.
 */
const SETTINGS = ['-c', 'shared_buffers=16MB', ...CUSTOM_PLANS];

/**
 * Opens the PGlite database in `dir`, running initdb first if it holds no cluster. The one place its start
 * parameters live: the initdb child (pglite-initdb.ts) and the database's thread (pglite-thread.ts) both start here.
 */
export function startPglite(dir: string): Promise<PGlite> {
  return PGlite.create(dir, { startParams: [...PGlite.defaultStartParams, ...SETTINGS] });
}
