import { chunkLength, totalChunks } from '../domain/file-rules.ts';
import { DomainError, ErrorCodes } from '../domain/errors.ts';
import type { StoredPart, UploadTarget } from '../ports/blob-storage.ts';
import type { FileCatalog, StoredFile } from '../ports/file-catalog.ts';

/** Who may do what with a file: everyone who can see it reads it; only its uploader writes to it. */
export class FileAccess {
  readonly #files: FileCatalog;

  constructor(files: FileCatalog) {
    this.#files = files;
  }

  /** The file, if the caller uploaded it or belongs to a conversation it was sent to; 404 otherwise. */
  async visible(callerId: string, fileId: string): Promise<StoredFile> {
    const file = await this.#files.find(fileId);
    if (!file || (file.uploaderId !== callerId && !(await this.#files.visibleTo(fileId, callerId)))) throw fileNotFound(fileId);
    return file;
  }

  /** The file, if the caller uploaded it: 403 for others who can see it, 404 for everyone else. */
  async owned(callerId: string, fileId: string): Promise<StoredFile> {
    const file = await this.visible(callerId, fileId);
    if (file.uploaderId !== callerId) {
      throw new DomainError(ErrorCodes.NOT_FILE_UPLOADER, 'Only the uploader of a file may send its chunks or complete it');
    }
    return file;
  }
}

export function fileNotFound(fileId: string): DomainError {
  return new DomainError(ErrorCodes.FILE_NOT_FOUND, `File ${fileId} not found`);
}

/** Throws the conflict that explains why a file takes no more chunks, unless it is still uploading. */
export function assertUploading(file: StoredFile): void {
  switch (file.status) {
    case 'uploading':
      return;
    case 'verifying':
      throw new DomainError(ErrorCodes.FILE_BEING_VERIFIED, `File ${file.fileId} is being completed right now; wait for that answer`);
    case 'completed':
      throw new DomainError(ErrorCodes.FILE_ALREADY_COMPLETED, `File ${file.fileId} upload already completed`);
    case 'failed':
      throw new DomainError(
        ErrorCodes.FILE_UPLOAD_FAILED,
        `File ${file.fileId} upload was aborted (${file.failureReason ?? 'failed'}); start a new upload`,
      );
  }
}

export function uploadTarget(file: StoredFile): UploadTarget {
  if (!file.uploadId) throw new Error(`file ${file.fileId} has no upload in storage`);
  return { key: file.fileId, uploadId: file.uploadId };
}

/** The stored parts that are whole chunks of this file: right index, exact length. */
export function intactParts(file: StoredFile, parts: readonly StoredPart[]): StoredPart[] {
  const total = totalChunks(file);
  return parts.filter((part) => part.index < total && part.size === chunkLength(file, part.index));
}
