import { sql } from 'kysely';
import type { SettingsStore } from '../../ports/settings-store.ts';
import type { Db } from './sql-database.ts';

export class SqlSettingsStore implements SettingsStore {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async getOrInit(key: string, initial: string): Promise<string> {
    await sql`INSERT INTO settings (key, value) VALUES (${key}, ${initial}) ON CONFLICT (key) DO NOTHING`.execute(this.#db);
    const { rows } = await sql<{ value: string }>`SELECT value FROM settings WHERE key = ${key}`.execute(this.#db);
    return rows[0]!.value;
  }
}
