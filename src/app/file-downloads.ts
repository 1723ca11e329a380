import type { Readable } from 'node:stream';
import { DomainError, ErrorCodes } from '../domain/errors.ts';
import type { BlobStorage, ByteRange } from '../ports/blob-storage.ts';
import type { FileCatalog, StoredFile } from '../ports/file-catalog.ts';
import { FileAccess } from './file-access.ts';

/** Downloads, for the uploader and the members of every conversation the file was sent to. */
export class FileDownloads {
  readonly #storage: BlobStorage;
  readonly #access: FileAccess;
  readonly #urlTtlMs: number;

  constructor(files: FileCatalog, storage: BlobStorage, urlTtlMs: number) {
    this.#storage = storage;
    this.#access = new FileAccess(files);
    this.#urlTtlMs = urlTtlMs;
  }

  /** The file, if the caller may download it and it is complete. */
  async authorize(callerId: string, fileId: string): Promise<StoredFile> {
    const file = await this.#access.visible(callerId, fileId);
    if (file.status !== 'completed') {
      throw new DomainError(ErrorCodes.FILE_NOT_COMPLETED, `File ${fileId} has not completed its upload (status ${file.status})`);
    }
    return file;
  }

  /** A short-lived URL straight to the storage, when clients can reach it; the response carries `headers`. */
  async redirectUrl(file: StoredFile, headers: { contentType: string; contentDisposition: string }): Promise<string | undefined> {
    return this.#storage.downloadUrl?.(file.fileId, headers, new Date(Date.now() + this.#urlTtlMs));
  }

  open(file: StoredFile, range?: ByteRange): Promise<Readable> {
    return this.#storage.read(file.fileId, range);
  }
}
