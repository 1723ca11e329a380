import assert from 'node:assert/strict';
import { createCipheriv, createHash } from 'node:crypto';
import http from 'node:http';
import type { ApiResponse, Session } from './api-client.ts';

export const MiB = 1024 * 1024;
/** The smallest chunk size the hub allows: multi-chunk files stay small in tests. */
export const TEST_CHUNK_SIZE = 5 * MiB;

/**
 * Deterministic pseudo-random bytes of a test file (AES-CTR over zeros, keyed by `seed`): any slice can be made
 * again at any time, so a file of any size is generated chunk by chunk and never held whole.
 */
export function fileBytes(seed: string, offset: number, length: number): Buffer {
  if (offset % 16 !== 0) throw new Error('slices start at multiples of 16 bytes');
  const key = createHash('sha256').update(seed).digest().subarray(0, 16);
  const iv = Buffer.alloc(16);
  iv.writeBigUInt64BE(BigInt(offset / 16), 8);
  return createCipheriv('aes-128-ctr', key, iv).update(Buffer.alloc(length));
}

/** A test file: its size, chunk layout, the bytes of each chunk, and its SHA-256 (computed chunk by chunk). */
export class TestFile {
  readonly seed: string;
  readonly size: number;
  readonly chunkSize: number;

  constructor(seed: string, size: number, chunkSize = TEST_CHUNK_SIZE) {
    this.seed = seed;
    this.size = size;
    this.chunkSize = chunkSize;
  }

  get totalChunks(): number {
    return Math.ceil(this.size / this.chunkSize);
  }

  chunk(id: number): Buffer {
    const offset = id * this.chunkSize;
    return fileBytes(this.seed, offset, Math.min(this.chunkSize, this.size - offset));
  }

  sha256(): string {
    const hash = createHash('sha256');
    for (let id = 0; id < this.totalChunks; id++) hash.update(this.chunk(id));
    return hash.digest('hex');
  }
}

export const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

const CLOSED_MID_BODY = 'the server closed the connection before the body was sent';

/**
 * Asserts that storage refused a PUT with `status`. An S3 server answers a body it refuses and closes the connection
 * while the rest is still on its way; when its reset arrives first, the kernel drops the answer and the client only
 * sees the connection closed (status 0): a refusal too, as any client of that server would see it.
 */
export function assertRefusedPut(response: ApiResponse, ...statuses: number[]): void {
  const closed = response.status === 0 && response.body === CLOSED_MID_BODY;
  assert.ok(closed || statuses.includes(response.status), `refused with ${statuses.join(' or ')}: ${response.status} ${JSON.stringify(response.body)}`);
}

/**
 * One HTTP request with node:http, which (unlike fetch) sends an exact Content-Length with a body of any size
 * and lets a test cut the connection mid-body. JSON answers are parsed.
 */
export function send(
  method: string,
  url: string,
  options: { headers?: Record<string, string>; body?: Buffer; contentLength?: number; cutAfter?: number } = {},
): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string | number> = { ...options.headers };
    if (options.body) {
      headers['content-length'] = options.contentLength ?? options.body.length;
      // As S3 clients do: a server that refuses the request answers before the body is sent.
      headers.expect = '100-continue';
    }
    const request = http.request(url, { method, headers }, (response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        const json = /json/.test(String(response.headers['content-type'])) && text;
        const answered = new Headers();
        for (const [name, value] of Object.entries(response.headers)) if (typeof value === 'string') answered.set(name, value);
        resolve({ status: response.statusCode!, headers: answered, body: json ? JSON.parse(text) : text });
      });
      response.on('error', reject);
    });
    if (options.cutAfter !== undefined) {
      // A client that loses its connection halfway through a chunk.
      request.on('error', () => resolve({ status: 0, headers: new Headers(), body: 'connection cut' }));
      request.on('continue', () => request.write(options.body!.subarray(0, options.cutAfter), () => request.destroy()));
      request.flushHeaders();
      return;
    }
    request.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE' || error.code === 'ECONNRESET') resolve({ status: 0, headers: new Headers(), body: CLOSED_MID_BODY });
      else reject(error);
    });
    if (!options.body) {
      request.end();
      return;
    }
    request.on('continue', () => request.end(options.body));
    request.flushHeaders();
  });
}

const BOUNDARY = '----chat4all-test-boundary';
/** The Content-Type of the forms multipartForm makes. */
export const MULTIPART_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

/** A multipart/form-data body whose one part, named `field`, holds `body`. */
export function multipartForm(body: Buffer, field = 'file'): Buffer {
  return Buffer.concat([
    Buffer.from(`--${BOUNDARY}\r\ncontent-disposition: form-data; name="${field}"; filename="chunk"\r\n`),
    Buffer.from('content-type: application/octet-stream\r\n\r\n'),
    body,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
}

/**
 * Starts a request whose body is `body` but sends only its first `sent` bytes, then waits: a body in flight for as
 * long as the test likes. Resolves once those bytes are written, with the function that cuts the connection.
 */
export function heldRequest(method: string, url: string, headers: Record<string, string>, body: Buffer, sent: number): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers: { ...headers, 'content-length': body.length } });
    request.on('error', () => {});
    request.write(body.subarray(0, sent), (error) => (error ? reject(error) : resolve(() => request.destroy())));
  });
}

/** Uploads through the hub's API for one signed-in user. */
export class Uploader {
  readonly session: Session;

  constructor(session: Session) {
    this.session = session;
  }

  async initiate(file: TestFile, overrides: Record<string, unknown> = {}): Promise<{ fileId: string; body: any }> {
    const response = await this.session.post('/v1/files/initiate', {
      filename: `${file.seed}.bin`,
      file_size: file.size,
      content_type: 'application/octet-stream',
      ...overrides,
    });
    if (response.status !== 201) throw new Error(`initiate: ${response.status} ${JSON.stringify(response.body)}`);
    return { fileId: response.body.file_id, body: response.body };
  }

  patchUrl(fileId: string, chunkId: number): string {
    return new URL(`/v1/files/upload?file_id=${fileId}&chunk_id=${chunkId}`, this.session.client.baseUrl).toString();
  }

  /** PATCH a raw chunk (application/octet-stream). */
  patch(fileId: string, chunkId: number, body: Buffer, headers: Record<string, string> = {}, extra: { cutAfter?: number } = {}) {
    return send('PATCH', this.patchUrl(fileId, chunkId), {
      headers: { authorization: `Bearer ${this.session.token}`, 'content-type': 'application/octet-stream', ...headers },
      body,
      ...extra,
    });
  }

  /** Starts a raw PATCH of `body` that sends `sent` bytes and waits (see heldRequest). */
  holdPatch(fileId: string, chunkId: number, body: Buffer, sent: number): Promise<() => void> {
    const headers = { authorization: `Bearer ${this.session.token}`, 'content-type': 'application/octet-stream' };
    return heldRequest('PATCH', this.patchUrl(fileId, chunkId), headers, body, sent);
  }

  /** PATCH a chunk as multipart/form-data with the field `file`. */
  patchMultipart(fileId: string, chunkId: number, body: Buffer, field = 'file') {
    return this.patchForm(fileId, chunkId, multipartForm(body, field), MULTIPART_TYPE);
  }

  /** PATCH `form` as it is, declared as `contentType` (for forms that are not well made). */
  patchForm(fileId: string, chunkId: number, form: Buffer, contentType: string) {
    return send('PATCH', this.patchUrl(fileId, chunkId), {
      headers: { authorization: `Bearer ${this.session.token}`, 'content-type': contentType },
      body: form,
    });
  }

  /** A presigned URL for a chunk (PATCH with an empty JSON body). */
  async chunkUrl(fileId: string, chunkId: number): Promise<string> {
    const response = await send('PATCH', this.patchUrl(fileId, chunkId), {
      headers: { authorization: `Bearer ${this.session.token}`, 'content-type': 'application/json' },
      body: Buffer.from('{}'),
    });
    if (response.status !== 200) throw new Error(`chunk URL: ${response.status} ${JSON.stringify(response.body)}`);
    return response.body.upload_url;
  }

  /** PUT a chunk to a presigned URL, as a browser or curl -T would (no token). */
  put(url: string, body: Buffer, options: { headers?: Record<string, string>; contentLength?: number } = {}) {
    return send('PUT', url, { body, ...options });
  }

  /** Uploads every chunk of `file` through PATCH, `parallel` at a time. */
  async uploadAll(fileId: string, file: TestFile, parallel = 1): Promise<void> {
    for (let first = 0; first < file.totalChunks; first += parallel) {
      const ids = Array.from({ length: Math.min(parallel, file.totalChunks - first) }, (_, i) => first + i);
      await Promise.all(
        ids.map(async (id) => {
          const response = await this.patch(fileId, id, file.chunk(id));
          if (response.status !== 200) throw new Error(`chunk ${id}: ${response.status} ${JSON.stringify(response.body)}`);
        }),
      );
    }
  }

  complete(fileId: string, checksum: string) {
    return this.session.post('/v1/files/complete', { file_id: fileId, checksum });
  }

  status(fileId: string) {
    return this.session.get(`/v1/files/${fileId}`);
  }

  /** Initiates, uploads and completes `file`; returns its id. */
  async uploaded(file: TestFile, overrides: Record<string, unknown> = {}): Promise<string> {
    const { fileId } = await this.initiate(file, overrides);
    await this.uploadAll(fileId, file, 2);
    const done = await this.complete(fileId, file.sha256());
    if (done.status !== 200) throw new Error(`complete: ${done.status} ${JSON.stringify(done.body)}`);
    return fileId;
  }

  /** GET the download (following a redirect to storage) with optional headers; the body stays a stream. */
  download(fileId: string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(new URL(`/v1/files/${fileId}/download`, this.session.client.baseUrl), {
      headers: { authorization: `Bearer ${this.session.token}`, ...headers },
    });
  }
}

/** SHA-256 and length of a response body, read as a stream. */
export async function digestBody(response: Response): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const part of response.body as unknown as AsyncIterable<Uint8Array>) {
    hash.update(part);
    size += part.length;
  }
  return { sha256: hash.digest('hex'), size };
}
