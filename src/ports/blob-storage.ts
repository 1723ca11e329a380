import type { Readable } from 'node:stream';

/** Where an upload's parts live until they become one object at `key`. */
export interface UploadTarget {
  key: string;
  uploadId: string;
}

/** A stored part, by 0-based index; parts of length 0 are never listed (they stand for discarded ones). */
export interface StoredPart {
  index: number;
  size: number;
  etag: string;
}

/** An inclusive byte range, as HTTP Range headers count. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ObjectDigest {
  sha256: string;
  size: number;
}

/**
 * Object storage with multipart uploads (S3's model): parts are written, listed and replaced independently,
 * then assembled into one object. Bodies are streams: no part or object is ever held whole in memory.
 */
export interface BlobStorage {
  /** 'disk' or 's3', for banners and logs. */
  readonly name: string;
  /** Creates what the storage needs (directory, bucket) if it is missing. */
  prepare(): Promise<void>;
  startUpload(key: string): Promise<string>;
  /** Stores part `index` from `body`, which yields exactly `size` bytes or fails; replaces an earlier one. */
  writePart(target: UploadTarget, index: number, body: Readable, size: number): Promise<void>;
  /** Makes part `index` count as not uploaded (after its bytes were found corrupt). */
  discardPart(target: UploadTarget, index: number): Promise<void>;
  /**
   * A URL a client can PUT part `index` (exactly `size` bytes) to until `expiresAt`, straight to the storage;
   * absent when the storage cannot be reached by clients (the hub then signs URLs of its own).
   */
  partUploadUrl?(target: UploadTarget, index: number, size: number, expiresAt: Date): Promise<string>;
  listParts(target: UploadTarget): Promise<StoredPart[]>;
  /** Joins `parts` (in index order) into the object at `target.key`. */
  assemble(target: UploadTarget, parts: readonly StoredPart[]): Promise<void>;
  /** Undoes `assemble` after the object failed verification: the parts are back, the object gone. */
  reopen(target: UploadTarget, parts: readonly StoredPart[]): Promise<string>;
  /** Drops what `assemble` left behind once the object is verified. */
  finish(target: UploadTarget): Promise<void>;
  /** Deletes the upload's parts and its object, whatever state they are in. */
  abort(target: UploadTarget): Promise<void>;
  /** The object's bytes (or a range of them); rejects when it does not exist. */
  read(key: string, range?: ByteRange): Promise<Readable>;
  /** The SHA-256 (lower-case hex) and size of the object, computed by streaming it (constant memory). */
  digest(key: string): Promise<ObjectDigest>;
  /** The object's size, or undefined when it does not exist. */
  size(key: string): Promise<number | undefined>;
  /** A short-lived URL a client can GET the object from, when clients can reach the storage. */
  downloadUrl?(key: string, headers: { contentType: string; contentDisposition: string }, expiresAt: Date): Promise<string>;
}
