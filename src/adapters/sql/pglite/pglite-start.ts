import { PGlite } from '@electric-sql/pglite';

/**
 * PGlite runs PostgreSQL in single-user mode, where autovacuum never runs, so no table is ever analyzed and the
 * planner knows only a table's size when it plans. Prepared statements (pglite-prepared.ts) keep a plan made while
 * a table was small; every query the hub runs has an index, and planning as if sequential scans cost a lot keeps
 * those plans on their indexes however the tables grow.
 */
const NO_SEQUENTIAL_SCANS = ['-c', 'enable_seqscan=off'];

/**
 * PostgreSQL's default 128 MB of shared buffers are all resident in PGlite (its WebAssembly memory never shrinks)
 * and were half of the embedded hub's memory; 16 MB still hold a single-node hub's hot pages (history pages by
 * cursor stay under 10 ms on a million messages), the rest is read back from the OS's page cache.
 */
const SETTINGS = ['-c', 'shared_buffers=16MB', ...NO_SEQUENTIAL_SCANS];

/**
 * Opens the PGlite database in `dir`, running initdb first if it holds no cluster. The one place its start
 * parameters live: the initdb child (pglite-initdb.ts) and the database's thread (pglite-thread.ts) both start here.
 */
export function startPglite(dir: string): Promise<PGlite> {
  return PGlite.create(dir, { startParams: [...PGlite.defaultStartParams, ...SETTINGS] });
}
