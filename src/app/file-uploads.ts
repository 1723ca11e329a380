import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { chunkLength, MAX_FILE_SIZE, missingChunks, totalChunks } from '../domain/file-rules.ts';
import { DomainError, ErrorCodes, validationError } from '../domain/errors.ts';
import { admitUpload, type UploadQuota } from '../domain/upload-quota.ts';
import type { BlobStorage } from '../ports/blob-storage.ts';
import type { FileCatalog, StoredFile } from '../ports/file-catalog.ts';
import { ChunkSlots, type ChunkConcurrency } from './chunk-slots.ts';
import type { ChunkUrlSigner, SignedChunkRequest } from './chunk-url-signer.ts';
import { assertUploading, FileAccess, fileNotFound, intactParts, uploadTarget } from './file-access.ts';
import { MeteredStream } from './metered-stream.ts';

export interface UploadSettings {
  chunkSize: number;
  /** How long a presigned chunk URL stays valid. */
  urlTtlMs: number;
  /** What one user may hold in files. */
  quota: UploadQuota;
  /** How many chunk bodies this process streams at once. */
  chunkConcurrency: ChunkConcurrency;
  /** Told of every piece of a chunk body as it streams through (the runtime frees the buffers of file traffic). */
  onStreamed?: (bytes: number) => void;
}

export interface InitiateRequest {
  filename: string;
  fileSize: number;
  contentType: string;
  /** SHA-256 (lower-case hex) the whole file must have, if the client knows it up front. */
  sha256?: string;
}

/** A chunk's bytes as they arrive, with what the request says about them. */
export interface ChunkBody {
  stream: Readable;
  /** From Content-Length, when the request had one: checked before a byte is read. */
  contentLength?: number;
  /** The client's SHA-256 of this chunk (lower-case hex): a mismatch rejects it. */
  sha256?: string;
}

export interface UploadUrl {
  url: string;
  expiresAt: Date;
}

export interface UploadStatus {
  file: StoredFile;
  receivedChunks: number[];
  missingChunks: number[];
}

/** Starting an upload, receiving its chunks (through the API or a presigned URL), and telling what is missing. */
export class FileUploads {
  readonly #files: FileCatalog;
  readonly #storage: BlobStorage;
  readonly #signer: ChunkUrlSigner;
  readonly #settings: UploadSettings;
  readonly #access: FileAccess;
  readonly #slots: ChunkSlots;

  constructor(files: FileCatalog, storage: BlobStorage, signer: ChunkUrlSigner, settings: UploadSettings) {
    this.#files = files;
    this.#storage = storage;
    this.#signer = signer;
    this.#settings = settings;
    this.#access = new FileAccess(files);
    this.#slots = new ChunkSlots(settings.chunkConcurrency);
  }

  async initiate(callerId: string, request: InitiateRequest): Promise<{ file: StoredFile; upload: UploadUrl }> {
    if (request.fileSize > MAX_FILE_SIZE) {
      throw new DomainError(
        ErrorCodes.FILE_TOO_LARGE,
        `File size exceeds the 2 GiB limit (${MAX_FILE_SIZE} bytes): ${request.fileSize} bytes declared`,
        { file_size: [`must be at most ${MAX_FILE_SIZE}`] },
      );
    }
    const fileId = randomUUID();
    const uploadId = await this.#storage.startUpload(fileId);
    const newFile = {
      fileId,
      uploaderId: callerId,
      filename: request.filename,
      fileSize: request.fileSize,
      contentType: request.contentType,
      chunkSize: this.#settings.chunkSize,
      uploadId,
      declaredSha256: request.sha256 ?? null,
    };
    const file = await this.#files
      .create(newFile, (usage) => admitUpload(this.#settings.quota, usage, request.fileSize))
      .catch(async (error: unknown) => {
        // Without its row, nothing would ever complete or abort what the storage started (the refusal is what counts).
        await this.#storage.abort({ key: fileId, uploadId }).catch(() => {});
        throw error;
      });
    return { file, upload: await this.#chunkUrl(file, 0) };
  }

  /** A presigned URL for one chunk (the contract's PATCH with an empty body). */
  async uploadUrl(callerId: string, fileId: string, chunkId: number): Promise<UploadUrl> {
    const file = await this.#access.owned(callerId, fileId);
    assertUploading(file);
    checkChunkId(file, chunkId);
    return this.#chunkUrl(file, chunkId);
  }

  /** A chunk sent through the API by the uploader. Returns the URL of the next chunk, if there is one. */
  async uploadChunk(callerId: string, fileId: string, chunkId: number, body: ChunkBody): Promise<UploadUrl | null> {
    return this.#receive(await this.#access.owned(callerId, fileId), chunkId, body);
  }

  /** A chunk PUT to a URL the hub signed: the signature is the authorization. */
  async uploadSignedChunk(request: SignedChunkRequest, body: ChunkBody): Promise<UploadUrl | null> {
    this.#signer.verify(request);
    const file = await this.#files.find(request.fileId);
    if (!file) throw fileNotFound(request.fileId);
    return this.#receive(file, request.chunkId, body);
  }

  async status(callerId: string, fileId: string): Promise<UploadStatus> {
    const file = await this.#access.visible(callerId, fileId);
    const all = Array.from({ length: totalChunks(file) }, (_, id) => id);
    if (file.status !== 'uploading') {
      // Verified (or being verified) files hold every chunk; a failed upload's chunks are gone.
      return file.status === 'failed' ? { file, receivedChunks: [], missingChunks: all } : { file, receivedChunks: all, missingChunks: [] };
    }
    const received = intactParts(file, await this.#storage.listParts(uploadTarget(file))).map((part) => part.index);
    return { file, receivedChunks: received, missingChunks: missingChunks(file, new Set(received)) };
  }

  async #receive(file: StoredFile, chunkId: number, body: ChunkBody): Promise<UploadUrl | null> {
    assertUploading(file);
    checkChunkId(file, chunkId);
    const expected = chunkLength(file, chunkId);
    const what = `chunk ${chunkId} of ${totalChunks(file)}`;
    if (body.contentLength !== undefined && body.contentLength !== expected) {
      const code = body.contentLength > expected ? ErrorCodes.CHUNK_TOO_LARGE : ErrorCodes.CHUNK_SIZE_MISMATCH;
      throw new DomainError(code, `${what} must be exactly ${expected} bytes; Content-Length says ${body.contentLength}`, undefined, {
        expected_size: expected,
      });
    }
    const release = this.#slots.take(file.uploaderId);
    try {
      await this.#store(file, chunkId, body, expected, what);
    } finally {
      release();
    }
    return chunkId + 1 < totalChunks(file) ? this.#chunkUrl(file, chunkId + 1) : null;
  }

  /** Streams the chunk to storage, checked against its length and the client's SHA-256 if it sent one. */
  async #store(file: StoredFile, chunkId: number, body: ChunkBody, expected: number, what: string): Promise<void> {
    const target = uploadTarget(file);
    const metered = new MeteredStream(expected, what, this.#settings.onStreamed);
    const [received, stored] = await Promise.allSettled([
      pipeline(body.stream, metered),
      this.#storage.writePart(target, chunkId, metered, expected),
    ]);
    // A bad body explains both failures; a storage failure alone may mean the upload moved on meanwhile.
    if (received.status === 'rejected') throw received.reason;
    if (stored.status === 'rejected') {
      const now = await this.#files.find(file.fileId);
      if (now) assertUploading(now);
      throw stored.reason;
    }
    if (body.sha256 !== undefined) {
      const actual = metered.sha256();
      if (actual !== body.sha256) {
        await this.#storage.discardPart(target, chunkId);
        throw new DomainError(
          ErrorCodes.CHUNK_CHECKSUM_MISMATCH,
          `${what} was corrupted in transit: its SHA-256 is ${actual}, the request said ${body.sha256}; it was not kept, send it again`,
        );
      }
    }
  }

  async #chunkUrl(file: StoredFile, chunkId: number): Promise<UploadUrl> {
    const expiresAt = new Date(Date.now() + this.#settings.urlTtlMs);
    const url = this.#storage.partUploadUrl
      ? await this.#storage.partUploadUrl(uploadTarget(file), chunkId, chunkLength(file, chunkId), expiresAt)
      : this.#signer.url(file.fileId, chunkId, expiresAt);
    return { url, expiresAt };
  }
}

function checkChunkId(file: StoredFile, chunkId: number): void {
  const total = totalChunks(file);
  if (chunkId >= total) throw validationError('chunk_id', `must be between 0 and ${total - 1} (the file has ${total} chunks)`);
}
