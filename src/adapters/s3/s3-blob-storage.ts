import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListPartsCommand,
  S3Client,
  type S3ClientConfig,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createHash } from 'node:crypto';
import { noteStreamed } from '../streamed-garbage.ts';
import type { Readable } from 'node:stream';
import type { S3Config } from '../../config.ts';
import type { BlobStorage, ByteRange, ObjectDigest, StoredPart, UploadTarget } from '../../ports/blob-storage.ts';

/** The client of the S3 server at `endpoint` (the hub's, or the one presigned URLs name). */
export function s3ClientConfig(settings: S3Config, endpoint: string): S3ClientConfig {
  return {
    endpoint,
    region: settings.region,
    forcePathStyle: settings.forcePathStyle,
    // No credentials: the SDK's default provider chain, resolved at the first request.
    ...(settings.credentials ? { credentials: { ...settings.credentials } } : {}),
    // Plain Content-Length bodies: no aws-chunked encoding with trailing checksums, which not every
    // S3-compatible server accepts, and no checksum query parameters in presigned URLs.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

/** How many parts are copied at once when an upload is reopened. */
const COPY_CONCURRENCY = 4;

/**
 * Blob storage on any S3-compatible server: an upload is an S3 multipart upload (part = chunk + 1), clients PUT
 * parts straight to presigned UploadPart URLs whose Content-Length is signed, downloads are presigned GETs.
 */
export class S3BlobStorage implements BlobStorage {
  readonly name = 's3';
  readonly #client: S3Client;
  readonly #presigner: S3Client;
  readonly #bucket: string;

  constructor(settings: S3Config) {
    const client = (endpoint: string) => new S3Client(s3ClientConfig(settings, endpoint));
    this.#client = client(settings.endpoint);
    this.#presigner = settings.publicEndpoint === settings.endpoint ? this.#client : client(settings.publicEndpoint);
    this.#bucket = settings.bucket;
  }

  async prepare(): Promise<void> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await this.#client.send(new CreateBucketCommand({ Bucket: this.#bucket }));
    }
  }

  /** Objects carry no metadata of their own: downloads get their Content-Type and name from the hub's records. */
  async startUpload(key: string): Promise<string> {
    const { UploadId } = await this.#client.send(new CreateMultipartUploadCommand({ Bucket: this.#bucket, Key: key }));
    if (!UploadId) throw new Error('the S3 server returned no UploadId');
    return UploadId;
  }

  async writePart(target: UploadTarget, index: number, body: Readable, size: number): Promise<void> {
    // A body that fails midway must end the request at once: the server would otherwise wait for the rest.
    const abort = new AbortController();
    body.once('error', () => abort.abort());
    await this.#client.send(new UploadPartCommand({ ...this.#part(target, index), Body: body, ContentLength: size }), {
      abortSignal: abort.signal,
    });
  }

  /** S3 cannot delete one part; an empty part replaces it, and empty parts are never listed. */
  async discardPart(target: UploadTarget, index: number): Promise<void> {
    await this.#client.send(new UploadPartCommand({ ...this.#part(target, index), Body: Buffer.alloc(0), ContentLength: 0 }));
  }

  async partUploadUrl(target: UploadTarget, index: number, size: number, expiresAt: Date): Promise<string> {
    const command = new UploadPartCommand({ ...this.#part(target, index), ContentLength: size });
    return getSignedUrl(this.#presigner, command, { expiresIn: secondsUntil(expiresAt) });
  }

  async listParts(target: UploadTarget): Promise<StoredPart[]> {
    const parts: StoredPart[] = [];
    let marker: string | undefined;
    for (;;) {
      const page = await this.#client.send(
        new ListPartsCommand({ Bucket: this.#bucket, Key: target.key, UploadId: target.uploadId, PartNumberMarker: marker }),
      );
      for (const part of page.Parts ?? []) {
        if (part.PartNumber && part.Size && part.ETag) parts.push({ index: part.PartNumber - 1, size: part.Size, etag: part.ETag });
      }
      if (!page.IsTruncated || !page.NextPartNumberMarker) return parts.sort((a, b) => a.index - b.index);
      marker = page.NextPartNumberMarker;
    }
  }

  async assemble(target: UploadTarget, parts: readonly StoredPart[]): Promise<void> {
    const Parts = parts.map((part) => ({ PartNumber: part.index + 1, ETag: part.etag }));
    try {
      await this.#client.send(
        new CompleteMultipartUploadCommand({ Bucket: this.#bucket, Key: target.key, UploadId: target.uploadId, MultipartUpload: { Parts } }),
      );
    } catch (error) {
      // A verification that crashed after assembling is taken over later: the upload is gone, its object is there.
      const expected = parts.reduce((sum, part) => sum + part.size, 0);
      if ((await this.size(target.key)) !== expected) throw error;
    }
  }

  /** An assembled object cannot be split back, so a new multipart upload copies its parts server-side. */
  async reopen(target: UploadTarget, parts: readonly StoredPart[]): Promise<string> {
    const uploadId = await this.startUpload(target.key);
    const ranges = parts.map((part, position) => {
      const start = parts.slice(0, position).reduce((sum, earlier) => sum + earlier.size, 0);
      return { index: part.index, range: `bytes=${start}-${start + part.size - 1}` };
    });
    const copyOne = async ({ index, range }: (typeof ranges)[number]) => {
      await this.#client.send(
        new UploadPartCopyCommand({
          ...this.#part({ key: target.key, uploadId }, index),
          CopySource: `${this.#bucket}/${encodeURIComponent(target.key)}`,
          CopySourceRange: range,
        }),
      );
    };
    for (let at = 0; at < ranges.length; at += COPY_CONCURRENCY) await Promise.all(ranges.slice(at, at + COPY_CONCURRENCY).map(copyOne));
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: target.key }));
    return uploadId;
  }

  async finish(): Promise<void> {
    // CompleteMultipartUpload consumed the parts.
  }

  async abort(target: UploadTarget): Promise<void> {
    try {
      await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: target.key, UploadId: target.uploadId }));
    } catch (error) {
      if (!isNotFound(error)) throw error;
    }
    await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key: target.key }));
  }

  async read(key: string, range?: ByteRange): Promise<Readable> {
    const { Body } = await this.#client.send(
      new GetObjectCommand({ Bucket: this.#bucket, Key: key, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
    );
    if (!Body) throw new Error(`the S3 server returned no body for ${key}`);
    return Body as Readable;
  }

  async digest(key: string): Promise<ObjectDigest> {
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of (await this.read(key)) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      noteStreamed(chunk.length);
      size += chunk.length;
    }
    return { sha256: hash.digest('hex'), size };
  }

  async size(key: string): Promise<number | undefined> {
    try {
      const head = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key: key }));
      return head.ContentLength;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async downloadUrl(key: string, headers: { contentType: string; contentDisposition: string }, expiresAt: Date): Promise<string> {
    const command = new GetObjectCommand({
      Bucket: this.#bucket,
      Key: key,
      ResponseContentType: headers.contentType,
      ResponseContentDisposition: headers.contentDisposition,
    });
    return getSignedUrl(this.#presigner, command, { expiresIn: secondsUntil(expiresAt) });
  }

  #part(target: UploadTarget, index: number) {
    return { Bucket: this.#bucket, Key: target.key, UploadId: target.uploadId, PartNumber: index + 1 };
  }
}

function secondsUntil(when: Date): number {
  return Math.max(1, Math.round((when.getTime() - Date.now()) / 1000));
}

function isNotFound(error: unknown): boolean {
  const { name, $metadata } = (error ?? {}) as { name?: string; $metadata?: { httpStatusCode?: number } };
  return $metadata?.httpStatusCode === 404 || name === 'NotFound' || name === 'NoSuchKey' || name === 'NoSuchUpload' || name === 'NoSuchBucket';
}
