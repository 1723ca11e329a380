import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, type WriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import type { BlobStorage, ByteRange, ObjectDigest, StoredPart, UploadTarget } from '../../ports/blob-storage.ts';

const PART_NAME = /^\d+$/;
/** What `digest` reads at a time, into the one buffer it reuses. */
const DIGEST_BUFFER_SIZE = 1024 * 1024;

/**
 * Blob storage in a local directory: `objects/<key>` for objects, `uploads/<upload id>/<index>` for parts.
 * Every file is written under a temporary name and renamed into place, so a reader never sees half of one.
 * Clients cannot reach it, so the hub serves part uploads and downloads itself.
 */
export class DiskBlobStorage implements BlobStorage {
  readonly name = 'disk';
  readonly #objects: string;
  readonly #uploads: string;

  constructor(root: string) {
    this.#objects = path.join(root, 'objects');
    this.#uploads = path.join(root, 'uploads');
  }

  async prepare(): Promise<void> {
    await mkdir(this.#objects, { recursive: true });
    await mkdir(this.#uploads, { recursive: true });
  }

  async startUpload(): Promise<string> {
    const uploadId = randomUUID();
    await mkdir(this.#partsDir(uploadId), { recursive: true });
    return uploadId;
  }

  async writePart(target: UploadTarget, index: number, body: Readable): Promise<void> {
    const dir = this.#partsDir(target.uploadId);
    await writeAtomically(path.join(dir, String(index)), (out) => pipeline(body, out));
  }

  async discardPart(target: UploadTarget, index: number): Promise<void> {
    await rm(path.join(this.#partsDir(target.uploadId), String(index)), { force: true });
  }

  async listParts(target: UploadTarget): Promise<StoredPart[]> {
    const dir = this.#partsDir(target.uploadId);
    const names = (await readdir(dir).catch(ifMissing([]))).filter((name) => PART_NAME.test(name));
    const parts = await Promise.all(
      names.map(async (name) => {
        const info = await stat(path.join(dir, name)).catch(ifMissing(undefined));
        return info && { index: Number(name), size: info.size, etag: String(info.mtimeMs) };
      }),
    );
    return parts.filter((part): part is StoredPart => part !== undefined && part.size > 0).sort((a, b) => a.index - b.index);
  }

  async assemble(target: UploadTarget, parts: readonly StoredPart[]): Promise<void> {
    const dir = this.#partsDir(target.uploadId);
    await writeAtomically(this.#objectPath(target.key), async (out) => {
      for (const part of parts) await pipeline(createReadStream(path.join(dir, String(part.index))), out, { end: false });
      out.end();
    });
  }

  /** The parts stay until `finish`, so undoing an assembly only removes the object. */
  async reopen(target: UploadTarget): Promise<string> {
    await rm(this.#objectPath(target.key), { force: true });
    return target.uploadId;
  }

  async finish(target: UploadTarget): Promise<void> {
    await rm(this.#partsDir(target.uploadId), { recursive: true, force: true });
  }

  async abort(target: UploadTarget): Promise<void> {
    await this.finish(target);
    await rm(this.#objectPath(target.key), { force: true });
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const handle = await open(this.#objectPath(key), 'r');
    return handle.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  /**
   * Reads into one reused buffer: a read stream allocates a new one per 64 KiB read, and hashing 1 GiB that way
   * took 35 MiB more memory (garbage awaiting collection) and 40 % more CPU.
   */
  async digest(key: string): Promise<ObjectDigest> {
    const hash = createHash('sha256');
    const buffer = Buffer.allocUnsafe(DIGEST_BUFFER_SIZE);
    const handle = await open(this.#objectPath(key), 'r');
    let size = 0;
    try {
      for (let read; (read = (await handle.read(buffer, 0, buffer.length, null)).bytesRead) > 0; size += read) {
        hash.update(buffer.subarray(0, read));
      }
    } finally {
      await handle.close();
    }
    return { sha256: hash.digest('hex'), size };
  }

  async size(key: string): Promise<number | undefined> {
    const info = await stat(this.#objectPath(key)).catch(ifMissing(undefined));
    return info?.size;
  }

  #partsDir(uploadId: string): string {
    return path.join(this.#uploads, safeName(uploadId));
  }

  #objectPath(key: string): string {
    return path.join(this.#objects, safeName(key));
  }
}

/** Keys and upload ids are UUIDs; anything else must never become a path outside the root. */
function safeName(name: string): string {
  if (!/^[A-Za-z0-9-]+$/.test(name)) throw new Error(`not a storage name: ${JSON.stringify(name)}`);
  return name;
}

/** Writes through a temporary file that is flushed to disk and renamed over `target` only when complete. */
async function writeAtomically(target: string, write: (out: WriteStream) => Promise<void>): Promise<void> {
  const temporary = `${target}.${randomUUID()}.tmp`;
  const handle = await open(temporary, 'w');
  // The stream owns the handle: it fsyncs (`flush`) and closes it when it finishes or fails.
  const out = handle.createWriteStream({ flush: true });
  try {
    await Promise.all([write(out), finished(out)]);
    await rename(temporary, target);
  } catch (error) {
    out.destroy();
    await rm(temporary, { force: true });
    throw error;
  }
}

function ifMissing<T>(fallback: T): (error: NodeJS.ErrnoException) => T {
  return (error) => {
    if (error.code === 'ENOENT') return fallback;
    throw error;
  };
}
