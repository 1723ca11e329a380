import { DomainError, ErrorCodes } from './errors.ts';

/** What one user may hold in files, so no account can fill the storage or pile up unfinished uploads. */
export interface UploadQuota {
  /** Uploads initiated and neither completed nor failed. */
  maxOpenUploads: number;
  /** Bytes of completed files plus the sizes open uploads declared (reserved when they start). */
  maxStoredBytes: number;
}

/** What a user's files take now, counted as the quota counts. */
export interface UploadUsage {
  openUploads: number;
  storedBytes: number;
}

/** Throws the error that says why a new upload of `fileSize` bytes does not fit the quota; returns when it fits. */
export function admitUpload(quota: UploadQuota, usage: UploadUsage, fileSize: number): void {
  if (usage.openUploads >= quota.maxOpenUploads) {
    throw new DomainError(
      ErrorCodes.UPLOAD_LIMIT_REACHED,
      `A user can have at most ${quota.maxOpenUploads} uploads open: complete one, or wait for an unfinished one to be aborted`,
      undefined,
      { max_open_uploads: quota.maxOpenUploads },
    );
  }
  const left = Math.max(0, quota.maxStoredBytes - usage.storedBytes);
  if (fileSize > left) {
    const message = `must be at most ${left}, what is left of the storage quota`;
    throw new DomainError(
      ErrorCodes.STORAGE_QUOTA_EXCEEDED,
      `file_size: ${fileSize} bytes do not fit the storage quota of ${quota.maxStoredBytes} bytes, ${usage.storedBytes} of them taken`,
      { file_size: [message] },
      { storage_quota_bytes: quota.maxStoredBytes, storage_used_bytes: usage.storedBytes },
    );
  }
}
