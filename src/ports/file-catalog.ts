import type { FileStatus } from '../domain/file-rules.ts';
import type { UploadUsage } from '../domain/upload-quota.ts';

export interface StoredFile {
  fileId: string;
  uploaderId: string;
  filename: string;
  fileSize: number;
  contentType: string;
  chunkSize: number;
  status: FileStatus;
  /** The storage's id for the multipart upload in progress (changes when a failed verification reopens it). */
  uploadId: string | null;
  /** What the client declared at initiate, if anything. */
  declaredSha256: string | null;
  /** Computed over the stored object when it was verified. */
  sha256: string | null;
  failureReason: string | null;
  createdAt: Date;
  completedAt: Date | null;
}

export type NewFile = Pick<
  StoredFile,
  'fileId' | 'uploaderId' | 'filename' | 'fileSize' | 'contentType' | 'chunkSize' | 'uploadId' | 'declaredSha256'
>;

/** The files table: uploads and their lifecycle. Every move is conditional, so concurrent callers cannot race. */
export interface FileCatalog {
  /**
   * Creates the file unless `admit`, given what its uploader's files take now, throws; one user's creates are
   * counted in turn, so concurrent ones cannot both take the last of a quota.
   */
  create(file: NewFile, admit: (usage: UploadUsage) => void): Promise<StoredFile>;
  find(fileId: string): Promise<StoredFile | undefined>;
  /** Whether the user uploaded the file or belongs to a conversation it was sent to. */
  visibleTo(fileId: string, userId: string): Promise<boolean>;
  /** uploading (or verifying whose lease ran out) → verifying until `leaseUntil`; undefined if not possible. */
  claimVerification(fileId: string, leaseUntil: Date): Promise<StoredFile | undefined>;
  /** verifying → uploading, with the upload id the storage now uses. */
  returnToUploading(fileId: string, uploadId: string): Promise<void>;
  /** verifying → completed with the verified SHA-256. */
  markCompleted(fileId: string, sha256: string): Promise<StoredFile>;
  /**
   * Fails every upload not completed since `createdBefore` (status failed, with `reason`), and returns the
   * failed files whose storage is not released yet (at most `limit`), these included.
   */
  abandon(createdBefore: Date, reason: string, limit: number): Promise<StoredFile[]>;
  /** Records that the storage of these failed files is deleted. */
  markReleased(fileIds: readonly string[]): Promise<void>;
}
