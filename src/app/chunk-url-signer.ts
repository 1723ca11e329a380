import { createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError, ErrorCodes } from '../domain/errors.ts';

export interface SignedChunkRequest {
  fileId: string;
  chunkId: number;
  /** Unix time in seconds after which the URL is refused. */
  expires: number;
  signature: string;
}

/**
 * The hub's own presigned URLs, for storage that clients cannot reach (local disk): an HMAC over the file, the
 * chunk and the expiry, so the URL authorizes that one PUT and nothing else until it expires. The URL is
 * relative; the API makes it absolute with the hub's public address (http/public-urls.ts).
 *
 * Signed with the current secret; URLs signed with a previous one (kept during a key rotation) still verify, so
 * uploads in progress survive the rotation.
 */
export class ChunkUrlSigner {
  readonly #key: Buffer;
  readonly #verifyKeys: Buffer[];

  constructor(secret: string, previousSecrets: readonly string[] = []) {
    this.#key = deriveKey(secret);
    this.#verifyKeys = [this.#key, ...previousSecrets.map(deriveKey)];
  }

  url(fileId: string, chunkId: number, expiresAt: Date): string {
    const expires = Math.floor(expiresAt.getTime() / 1000);
    const signature = sign(this.#key, fileId, chunkId, expires);
    return `/uploads/${fileId}/chunks/${chunkId}?expires=${expires}&signature=${signature}`;
  }

  /** Throws UPLOAD_URL_INVALID for a signature the hub did not make, UPLOAD_URL_EXPIRED after its time. */
  verify(request: SignedChunkRequest, now = Date.now()): void {
    const given = Buffer.from(request.signature, 'hex');
    const matches = (key: Buffer) => {
      const expected = Buffer.from(sign(key, request.fileId, request.chunkId, request.expires), 'hex');
      return given.length === expected.length && timingSafeEqual(given, expected);
    };
    if (!this.#verifyKeys.some(matches)) {
      throw new DomainError(ErrorCodes.UPLOAD_URL_INVALID, 'The upload URL signature is not valid: ask for a new URL');
    }
    if (request.expires * 1000 <= now) {
      throw new DomainError(ErrorCodes.UPLOAD_URL_EXPIRED, 'The upload URL has expired: ask for a new one (PATCH /v1/files/upload with {})');
    }
  }
}

/** A key of its own, derived from the deployment's secret: a token signature is never an upload signature. */
function deriveKey(secret: string): Buffer {
  return createHmac('sha256', secret).update('chat4all chunk upload URLs').digest();
}

function sign(key: Buffer, fileId: string, chunkId: number, expires: number): string {
  return createHmac('sha256', key).update(`PUT\n${fileId}\n${chunkId}\n${expires}`).digest('hex');
}
