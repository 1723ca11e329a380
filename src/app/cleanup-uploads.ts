import type { Logger } from '../ports/logger.ts';
import type { BlobStorage } from '../ports/blob-storage.ts';
import type { FileCatalog } from '../ports/file-catalog.ts';
import { uploadTarget } from './file-access.ts';

const BATCH = 100;

/**
 * Aborts uploads not completed within `maxAgeMs` of their initiation: each is marked failed first (so it takes
 * no more chunks), then its parts and partial object are deleted. A deletion that fails is retried next run.
 */
export class CleanupUploads {
  readonly #files: FileCatalog;
  readonly #storage: BlobStorage;
  readonly #maxAgeMs: number;
  readonly #log: Logger;

  constructor(files: FileCatalog, storage: BlobStorage, maxAgeMs: number, log: Logger) {
    this.#files = files;
    this.#storage = storage;
    this.#maxAgeMs = maxAgeMs;
    this.#log = log;
  }

  /** One pass; returns how many uploads had their storage released. */
  async runOnce(now = Date.now()): Promise<number> {
    const reason = `abandoned: not completed within ${describe(this.#maxAgeMs)} of initiation`;
    let released = 0;
    for (;;) {
      const failed = await this.#files.abandon(new Date(now - this.#maxAgeMs), reason, BATCH);
      const done: string[] = [];
      for (const file of failed) {
        try {
          if (file.uploadId) await this.#storage.abort(uploadTarget(file));
          done.push(file.fileId);
          this.#log.info({ file_id: file.fileId, reason: file.failureReason }, 'aborted upload');
        } catch (error) {
          this.#log.warn({ file_id: file.fileId, err: error }, 'could not delete the storage of an aborted upload; retrying later');
        }
      }
      await this.#files.markReleased(done);
      released += done.length;
      if (done.length < BATCH) return released;
    }
  }
}

function describe(ms: number): string {
  return ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : `${Math.round(ms / 1000)} s`;
}
