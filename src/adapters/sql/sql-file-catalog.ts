import { sql } from 'kysely';
import type { FileCatalog, StoredFile } from '../../ports/file-catalog.ts';
import type { Db } from './sql-database.ts';

export class SqlFileCatalog implements FileCatalog {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  async find(fileId: string): Promise<StoredFile | undefined> {
    const { rows } = await sql<{ id: string; uploader_id: string; status: StoredFile['status'] }>`
      SELECT id, uploader_id, status FROM files WHERE id = ${fileId}`.execute(this.#db);
    const row = rows[0];
    return row && { fileId: row.id, uploaderId: row.uploader_id, status: row.status };
  }
}
