import type { TestMode } from '../../test/support/test-modes.ts';
import { withHubDatabase, type Query } from './hub-database.ts';

/** Rows inserted, updated and deleted in one table. */
export interface Writes {
  ins: number;
  upd: number;
  del: number;
}

export type TableWrites = Record<string, Writes>;

/** Rows written between two marks, and how long that was. */
export interface Phase {
  seconds: number;
  tables: TableWrites;
}

/**
 * Counts the rows a deployment writes, per table, between marks set while it runs:
 *
 * - `pg_stat` (PostgreSQL): deltas of pg_stat_user_tables (n_tup_ins, n_tup_upd, n_tup_del), read from the
 *   deployment's own database while it runs. A backend reports its counts at most once a second when it goes idle
 *   between transactions, and an idle one only after 10 s (PGSTAT_IDLE_INTERVAL), so each mark waits 11 s first.
 * - `triggers` (PGlite, which keeps no statistics: its single backend never reports them, and they are not on
 *   disk after it closes): a statement-level trigger on every table appends (time, table, operation, rows) to
 *   bench_row_writes, from the statement's transition table; installed while the hub is stopped, read after it
 *   stopped, and split at the marks by time. Rows of a transaction that rolled back are not counted (pg_stat counts
 *   them), and the triggers' own rows are left out.
 */
export type RowMethod = 'pg_stat' | 'triggers';

export interface RowCounter {
  readonly method: RowMethod;
  /** Waits until the writes so far are countable (settle or stats flush), then marks a boundary. */
  mark(): Promise<void>;
  /** Rows written between consecutive marks; for `triggers`, once the hub has stopped. */
  phases(): Promise<Phase[]>;
}

/** PostgreSQL's PGSTAT_IDLE_INTERVAL (10 s) and a margin. */
const STATS_FLUSH_MS = 11_000;

const LOG_TABLE = 'bench_row_writes';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const STATS = `
  SELECT relname, n_tup_ins::float8 AS ins, n_tup_upd::float8 AS upd, n_tup_del::float8 AS del
  FROM pg_stat_user_tables WHERE schemaname = 'public' AND relname <> '${LOG_TABLE}'`;

function minus(after: TableWrites, before: TableWrites): TableWrites {
  const result: TableWrites = {};
  for (const [table, writes] of Object.entries(after)) {
    const earlier = before[table] ?? { ins: 0, upd: 0, del: 0 };
    const delta = { ins: writes.ins - earlier.ins, upd: writes.upd - earlier.upd, del: writes.del - earlier.del };
    if (delta.ins || delta.upd || delta.del) result[table] = delta;
  }
  return result;
}

function pgStatCounter(mode: TestMode, dataDir: string): RowCounter {
  const snapshots: Array<{ at: number; tables: TableWrites }> = [];
  return {
    method: 'pg_stat',
    async mark() {
      await sleep(STATS_FLUSH_MS);
      const rows = await withHubDatabase(mode, dataDir, (query) => query<{ relname: string } & Writes>(STATS));
      snapshots.push({ at: performance.now(), tables: Object.fromEntries(rows.map(({ relname, ...writes }) => [relname, writes])) });
    },
    async phases() {
      return snapshots.slice(1).map((snapshot, i) => ({
        seconds: (snapshot.at - snapshots[i]!.at) / 1000,
        tables: minus(snapshot.tables, snapshots[i]!.tables),
      }));
    },
  };
}

/** Statement-level triggers with transition tables: one row of bench_row_writes per statement that wrote rows. */
const INSTALL = `
  CREATE TABLE IF NOT EXISTS ${LOG_TABLE} (at timestamptz NOT NULL DEFAULT clock_timestamp(), relname text NOT NULL, op text NOT NULL, n bigint NOT NULL);
  CREATE OR REPLACE FUNCTION bench_count_ins() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO ${LOG_TABLE} (relname, op, n) SELECT TG_TABLE_NAME, 'ins', count(*) FROM bench_new HAVING count(*) > 0; RETURN NULL; END $$;
  CREATE OR REPLACE FUNCTION bench_count_upd() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO ${LOG_TABLE} (relname, op, n) SELECT TG_TABLE_NAME, 'upd', count(*) FROM bench_new HAVING count(*) > 0; RETURN NULL; END $$;
  CREATE OR REPLACE FUNCTION bench_count_del() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN INSERT INTO ${LOG_TABLE} (relname, op, n) SELECT TG_TABLE_NAME, 'del', count(*) FROM bench_old HAVING count(*) > 0; RETURN NULL; END $$;
  DO $$
  DECLARE t text;
  BEGIN
    FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND c.relkind = 'r' AND NOT c.relispartition AND c.relname <> '${LOG_TABLE}'
               AND NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND g.tgname = 'bench_rows_ins')
    LOOP
      EXECUTE format('CREATE TRIGGER bench_rows_ins AFTER INSERT ON %I REFERENCING NEW TABLE AS bench_new FOR EACH STATEMENT EXECUTE FUNCTION bench_count_ins()', t);
      EXECUTE format('CREATE TRIGGER bench_rows_upd AFTER UPDATE ON %I REFERENCING NEW TABLE AS bench_new FOR EACH STATEMENT EXECUTE FUNCTION bench_count_upd()', t);
      EXECUTE format('CREATE TRIGGER bench_rows_del AFTER DELETE ON %I REFERENCING OLD TABLE AS bench_old FOR EACH STATEMENT EXECUTE FUNCTION bench_count_del()', t);
    END LOOP;
  END $$`;

/** Installs the counting triggers in a deployment's database (embedded: while its hub is stopped). */
export async function installRowTriggers(mode: TestMode, dataDir: string): Promise<void> {
  await withHubDatabase(mode, dataDir, async (query) => {
    for (const statement of splitStatements(INSTALL)) await query(statement);
  });
}

/** The install script, one statement at a time (the embedded reader runs one per call); `$$` bodies kept whole. */
function splitStatements(script: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const piece of script.split(/(\$\$|;)/)) {
    if (piece === '$$') quoted = !quoted;
    if (piece === ';' && !quoted) {
      if (current.trim()) parts.push(current.trim());
      current = '';
      continue;
    }
    current += piece;
  }
  if (current.trim()) parts.push(current.trim());
  return parts;
}

function triggerCounter(mode: TestMode, dataDir: string, settleMs: number): RowCounter {
  const marks: number[] = [];
  return {
    method: 'triggers',
    async mark() {
      await sleep(settleMs);
      marks.push(Date.now());
    },
    async phases() {
      return withHubDatabase(mode, dataDir, async (query: Query) => {
        const phases: Phase[] = [];
        for (let i = 1; i < marks.length; i++) {
          const rows = await query<{ relname: string; op: keyof Writes; n: number }>(
            `SELECT relname, op, sum(n)::float8 AS n FROM ${LOG_TABLE} WHERE at >= $1 AND at < $2 GROUP BY relname, op`,
            [new Date(marks[i - 1]!).toISOString(), new Date(marks[i]!).toISOString()],
          );
          const tables: TableWrites = {};
          for (const { relname, op, n } of rows) (tables[relname] ??= { ins: 0, upd: 0, del: 0 })[op] = n;
          phases.push({ seconds: (marks[i]! - marks[i - 1]!) / 1000, tables });
        }
        return phases;
      });
    },
  };
}

/**
 * PostgreSQL's statistics where the database is a server; triggers in PGlite (or where `method` says so). A
 * trigger mark first waits `settleMs` for the writes that follow a phase's visible end (notifier feeds, relay deletes).
 */
export function rowCounter(mode: TestMode, dataDir: string, method: RowMethod, settleMs: number): RowCounter {
  return method === 'pg_stat' ? pgStatCounter(mode, dataDir) : triggerCounter(mode, dataDir, settleMs);
}
