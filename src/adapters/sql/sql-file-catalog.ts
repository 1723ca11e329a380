import { sql } from 'kysely';
import type { FileStatus } from '../../domain/file-rules.ts';
import type { UploadUsage } from '../../domain/upload-quota.ts';
import type { FileCatalog, NewFile, StoredFile } from '../../ports/file-catalog.ts';
import type { Db } from './sql-database.ts';

interface FileRow {
  id: string;
  uploader_id: string;
  filename: string;
  file_size: number | string;
  content_type: string;
  chunk_size: number;
  status: FileStatus;
  upload_id: string | null;
  declared_sha256: string | null;
  sha256: string | null;
  failure_reason: string | null;
  created_at: Date | string;
  completed_at: Date | string | null;
}

const toFile = (row: FileRow): StoredFile => ({
  fileId: row.id,
  uploaderId: row.uploader_id,
  filename: row.filename,
  fileSize: Number(row.file_size),
  contentType: row.content_type,
  chunkSize: row.chunk_size,
  status: row.status,
  uploadId: row.upload_id,
  declaredSha256: row.declared_sha256,
  sha256: row.sha256,
  failureReason: row.failure_reason,
  createdAt: new Date(row.created_at),
  completedAt: row.completed_at === null ? null : new Date(row.completed_at),
});

export class SqlFileCatalog implements FileCatalog {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** The uploader's row is locked (not against the key share that references take) so two creates count in turn. */
  async create(file: NewFile, admit: (usage: UploadUsage) => void): Promise<StoredFile> {
    return this.#db.transaction().execute(async (trx) => {
      await sql`SELECT 1 FROM users WHERE id = ${file.uploaderId} FOR NO KEY UPDATE`.execute(trx);
      const { rows: usage } = await sql<{ open_uploads: number | string; stored_bytes: number | string }>`
        SELECT count(*) FILTER (WHERE status IN ('uploading', 'verifying')) AS open_uploads,
               coalesce(sum(file_size), 0) AS stored_bytes
        FROM files WHERE uploader_id = ${file.uploaderId} AND status <> 'failed'`.execute(trx);
      admit({ openUploads: Number(usage[0]!.open_uploads), storedBytes: Number(usage[0]!.stored_bytes) });
      const { rows } = await sql<FileRow>`
        INSERT INTO files (id, uploader_id, filename, file_size, content_type, chunk_size, upload_id, declared_sha256)
        VALUES (${file.fileId}, ${file.uploaderId}, ${file.filename}, ${file.fileSize}, ${file.contentType},
                ${file.chunkSize}, ${file.uploadId}, ${file.declaredSha256})
        RETURNING *`.execute(trx);
      return toFile(rows[0]!);
    });
  }

  async find(fileId: string): Promise<StoredFile | undefined> {
    const { rows } = await sql<FileRow>`SELECT * FROM files WHERE id = ${fileId}`.execute(this.#db);
    return rows[0] && toFile(rows[0]);
  }

  async visibleTo(fileId: string, userId: string): Promise<boolean> {
    const { rows } = await sql<{ visible: boolean }>`
      SELECT EXISTS (SELECT 1 FROM files WHERE id = ${fileId} AND uploader_id = ${userId})
          OR EXISTS (SELECT 1 FROM messages m
                     JOIN conversation_members cm ON cm.conversation_id = m.conversation_id AND cm.user_id = ${userId}
                     WHERE m.payload ->> 'type' = 'file' AND m.payload ->> 'file_id' = ${fileId}) AS visible`.execute(
      this.#db,
    );
    return rows[0]!.visible;
  }

  async claimVerification(fileId: string, leaseUntil: Date): Promise<StoredFile | undefined> {
    const { rows } = await sql<FileRow>`
      UPDATE files SET status = 'verifying', lease_until = ${leaseUntil}
      WHERE id = ${fileId} AND (status = 'uploading' OR (status = 'verifying' AND lease_until < now()))
      RETURNING *`.execute(this.#db);
    return rows[0] && toFile(rows[0]);
  }

  async returnToUploading(fileId: string, uploadId: string): Promise<void> {
    await sql`
      UPDATE files SET status = 'uploading', upload_id = ${uploadId}, lease_until = NULL
      WHERE id = ${fileId} AND status = 'verifying'`.execute(this.#db);
  }

  async markCompleted(fileId: string, sha256: string): Promise<StoredFile> {
    const { rows } = await sql<FileRow>`
      UPDATE files SET status = 'completed', sha256 = ${sha256}, completed_at = now(), lease_until = NULL
      WHERE id = ${fileId} AND status = 'verifying'
      RETURNING *`.execute(this.#db);
    if (!rows[0]) throw new Error(`file ${fileId} left verification while it was being verified`);
    return toFile(rows[0]);
  }

  async abandon(createdBefore: Date, reason: string, limit: number): Promise<StoredFile[]> {
    await sql`
      UPDATE files SET status = 'failed', failure_reason = ${reason}, lease_until = NULL
      WHERE created_at < ${createdBefore}
        AND (status = 'uploading' OR (status = 'verifying' AND lease_until < now()))`.execute(this.#db);
    const { rows } = await sql<FileRow>`
      SELECT * FROM files WHERE status = 'failed' AND NOT storage_released ORDER BY id LIMIT ${limit}`.execute(this.#db);
    return rows.map(toFile);
  }

  async markReleased(fileIds: readonly string[]): Promise<void> {
    if (fileIds.length === 0) return;
    await sql`UPDATE files SET storage_released = true WHERE id = ANY(${[...fileIds]}::uuid[])`.execute(this.#db);
  }
}
