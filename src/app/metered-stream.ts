import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { DomainError, ErrorCodes } from '../domain/errors.ts';

/**
 * Passes a chunk's bytes through while counting and hashing them, and fails the stream as soon as they go past
 * `expected` bytes, or when they end short of it: storage behind it never keeps more (or less) than declared.
 */
export class MeteredStream extends Transform {
  readonly #expected: number;
  readonly #what: string;
  readonly #hash: Hash = createHash('sha256');
  readonly #onChunk: ((bytes: number) => void) | undefined;
  #seen = 0;

  constructor(expected: number, what: string, onChunk?: (bytes: number) => void) {
    super();
    this.#expected = expected;
    this.#what = what;
    this.#onChunk = onChunk;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.#expected) {
      callback(
        new DomainError(ErrorCodes.CHUNK_TOO_LARGE, `${this.#what} must be exactly ${this.#expected} bytes; more were sent`, undefined, {
          expected_size: this.#expected,
        }),
      );
      return;
    }
    this.#hash.update(chunk);
    this.#onChunk?.(chunk.length);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#seen < this.#expected) {
      callback(
        new DomainError(
          ErrorCodes.CHUNK_SIZE_MISMATCH,
          `${this.#what} must be exactly ${this.#expected} bytes; ${this.#seen} were sent`,
          undefined,
          { expected_size: this.#expected },
        ),
      );
      return;
    }
    callback();
  }

  /** The SHA-256 (hex) of the bytes that passed; meaningful once the stream has ended. */
  sha256(): string {
    return this.#hash.digest('hex');
  }
}
