import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { Migrator, type Migration, type MigrationProvider } from 'kysely/migration';
import type { Db } from './sql-database.ts';

const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations/', import.meta.url));

/**
 * Reads `migrations/NNNN-name.sql`; each statement ends with ";" at the end of a line. With `upTo` (a migration's
 * name), only the migrations up to that one.
 */
class SqlFileMigrationProvider implements MigrationProvider {
  readonly #upTo: string | undefined;

  constructor(upTo?: string) {
    this.#upTo = upTo;
  }

  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(MIGRATIONS_DIR))
      .filter((name) => name.endsWith('.sql') && (this.#upTo === undefined || name.replace(/\.sql$/, '') <= this.#upTo))
      .sort();
    const migrations: Record<string, Migration> = {};
    for (const file of files) {
      const text = await readFile(path.join(MIGRATIONS_DIR, file), 'utf8');
      const statements = text
        .split(/;\s*$/m)
        .map((statement) => statement.replace(/^\s*--.*$/gm, '').trim())
        .filter(Boolean);
      migrations[file.replace(/\.sql$/, '')] = {
        async up(db) {
          for (const statement of statements) await sql.raw(statement).execute(db);
        },
      };
    }
    return migrations;
  }
}

/**
 * Brings the schema up to date. Kysely's migrator takes a lock, so processes starting together do not race.
 * Numbers are handed out to work done in parallel, so a database may already have a later one than a migration
 * that arrives with a merge: pending migrations run in name order wherever they fall. `upTo` (a migration's name)
 * stops after that one: tests build a database as an older release left it.
 */
export async function migrate(db: Db, upTo?: string): Promise<void> {
  const migrator = new Migrator({ db, provider: new SqlFileMigrationProvider(upTo), allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((result) => result.status === 'Error');
  if (error || failed) {
    throw new Error(`database migration ${failed?.migrationName ?? ''} failed: ${String(error)}`, { cause: error });
  }
}
