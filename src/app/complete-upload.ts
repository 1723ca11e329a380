import { missingChunks } from '../domain/file-rules.ts';
import { DomainError, ErrorCodes } from '../domain/errors.ts';
import type { BlobStorage, StoredPart } from '../ports/blob-storage.ts';
import type { FileCatalog, StoredFile } from '../ports/file-catalog.ts';
import { assertUploading, FileAccess, intactParts, uploadTarget } from './file-access.ts';

/**
 * How long one completion may hold a file in `verifying` before another request may take over (after a crash
 * or a storage failure mid-way). Generous: hashing 2 GiB from a slow object store takes a few minutes.
 */
const VERIFY_LEASE_MS = 15 * 60_000;

/**
 * Completing an upload: the parts become one object, whose SHA-256 is computed by streaming it (constant
 * memory) and compared with the client's. Only a match completes the file; a mismatch puts the parts back so
 * the client can re-send chunks and complete again.
 */
export class CompleteUpload {
  readonly #files: FileCatalog;
  readonly #storage: BlobStorage;
  readonly #access: FileAccess;

  constructor(files: FileCatalog, storage: BlobStorage) {
    this.#files = files;
    this.#storage = storage;
    this.#access = new FileAccess(files);
  }

  async complete(callerId: string, fileId: string, checksum: string): Promise<StoredFile> {
    const file = await this.#access.owned(callerId, fileId);
    if (file.status === 'uploading' && file.declaredSha256 && file.declaredSha256 !== checksum) {
      throw new DomainError(
        ErrorCodes.CHECKSUM_MISMATCH,
        `checksum ${checksum} differs from the checksum_sha256 declared at initiate (${file.declaredSha256})`,
        { checksum: ['must equal the checksum_sha256 given at initiate'] },
      );
    }
    const claimed = await this.#files.claimVerification(fileId, new Date(Date.now() + VERIFY_LEASE_MS));
    if (!claimed) {
      assertUploading((await this.#files.find(fileId)) ?? file);
      throw new DomainError(ErrorCodes.FILE_BEING_VERIFIED, `File ${fileId} is being completed right now; wait for that answer`);
    }
    const target = uploadTarget(claimed);
    let parts: StoredPart[];
    try {
      parts = intactParts(claimed, await this.#storage.listParts(target));
      const missing = missingChunks(claimed, new Set(parts.map((part) => part.index)));
      if (missing.length > 0) {
        throw new DomainError(
          ErrorCodes.MISSING_CHUNKS,
          `Chunks not uploaded yet: ${summarize(missing)}; upload them, then complete again`,
          undefined,
          { missing_chunks: missing },
        );
      }
      await this.#storage.assemble(target, parts);
    } catch (error) {
      await this.#files.returnToUploading(fileId, target.uploadId);
      throw error;
    }
    // From here the parts may be consumed (S3): a failure leaves the file verifying until the lease ends, and
    // the next completion takes over from the assembled object.
    const { sha256, size } = await this.#storage.digest(target.key);
    if (sha256 !== checksum || size !== claimed.fileSize) {
      await this.#files.returnToUploading(fileId, await this.#storage.reopen(target, parts));
      throw new DomainError(
        ErrorCodes.CHECKSUM_MISMATCH,
        `Checksum validation failed: file may be corrupted. The stored file's SHA-256 is ${sha256}, the checksum sent is ` +
          `${checksum}. The chunks are kept: re-send the ones that differ, then complete again`,
        { checksum: ['does not match the SHA-256 of the uploaded bytes'] },
        { sha256_received: sha256 },
      );
    }
    const completed = await this.#files.markCompleted(fileId, sha256);
    await this.#storage.finish(target);
    return completed;
  }
}

/** "0-4, 7, 9-12": the missing chunks of a 2 GiB upload stay readable. */
function summarize(ids: readonly number[]): string {
  const runs: string[] = [];
  for (let at = 0; at < ids.length; ) {
    let end = at;
    while (end + 1 < ids.length && ids[end + 1] === ids[end]! + 1) end++;
    runs.push(end === at ? String(ids[at]) : `${ids[at]}-${ids[end]}`);
    at = end + 1;
  }
  return runs.join(', ');
}
