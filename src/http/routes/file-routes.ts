import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox, TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Readable } from 'node:stream';
import { MIMEType } from 'node:util';
import { collectingGarbage } from '../../adapters/streamed-garbage.ts';
import type { CompleteUpload } from '../../app/complete-upload.ts';
import type { FileDownloads } from '../../app/file-downloads.ts';
import type { IdempotentRequests } from '../../app/idempotent-requests.ts';
import type { ChunkBody, FileUploads } from '../../app/file-uploads.ts';
import { MAX_CHUNK_SIZE, normalizeSha256, totalChunks } from '../../domain/file-rules.ts';
import { validationError } from '../../domain/errors.ts';
import { parseByteRange } from '../byte-range.ts';
import { attachment } from '../content-disposition.ts';
import { answerIdempotently } from '../idempotency-key.ts';
import { EdgeErrorCodes, problem, sendProblem } from '../problem.ts';
import type { PublicUrl } from '../public-urls.ts';
import type { RateLimitHooks } from '../rate-limit-hooks.ts';
import { completedJson, fileStatusJson } from '../representations.ts';
import { completeSchema, downloadSchema, fileStatusSchema, initiateSchema, uploadChunkSchema } from '../schemas/file-schemas.ts';

interface FileRouteOptions {
  fileUploads: FileUploads;
  completeUpload: CompleteUpload;
  fileDownloads: FileDownloads;
  publicUrl: PublicUrl;
  /** Upload starts and chunk requests, per user, counted before the body is read. */
  limits: Pick<RateLimitHooks, 'uploads' | 'chunks'>;
  idempotentRequests: IdempotentRequests;
}

/** Raw chunk bodies are handed to the route as the request stream itself: nothing buffers them. */
export function streamRawBodies(app: FastifyInstance, types: string | string[]): void {
  app.addContentTypeParser(types, (_request, payload, done) => done(null, payload));
}

export const fileRoutes: FastifyPluginAsyncTypebox<FileRouteOptions> = async (app, { fileUploads, completeUpload, fileDownloads, publicUrl, limits, idempotentRequests }) => {
  // Bodies here are chunks (raw or multipart) or JSON: Fastify's text/plain parser made a text/plain chunk look like
  // a request for an upload URL, answered 200 with its bytes dropped. Without it such a body is a 415.
  app.removeContentTypeParser('text/plain');
  // Raw and multipart bodies are parsed for the chunk route alone: given to a JSON route, a request stream was
  // validated as its body and the validator walked the socket's object graph until the process ran out of memory.
  await app.register(async (plugin) => {
    const chunks = plugin.withTypeProvider<TypeBoxTypeProvider>();
    streamRawBodies(chunks, 'application/octet-stream');
    await chunks.register(multipart, { limits: { files: 1, fields: 10, fileSize: MAX_CHUNK_SIZE + 1 } });
    chunks.patch('/files/upload', { schema: uploadChunkSchema, onRequest: limits.chunks }, async (request) => {
      const { file_id: fileId, chunk_id: chunkId } = request.query;
      const caller = request.caller.userId;
      if (!request.isMultipart() && !(request.body instanceof Readable)) {
        const { url, expiresAt } = await fileUploads.uploadUrl(caller, fileId, chunkId);
        return { file_id: fileId, chunk_id: chunkId, status: 'awaiting_upload' as const, upload_url: publicUrl(request, url), expires_at: expiresAt.toISOString() };
      }
      const body = request.isMultipart() ? await multipartChunk(request) : rawChunk(request);
      const next = await fileUploads.uploadChunk(caller, fileId, chunkId, body);
      return uploadedJson(next && publicUrl(request, next.url), fileId, chunkId);
    });
  });

  app.post('/files/initiate', { schema: initiateSchema, onRequest: limits.uploads }, async (request, reply) =>
    answerIdempotently(idempotentRequests, request, reply, async () => {
      const { filename, file_size, content_type, checksum_sha256 } = request.body;
      const { file, upload } = await fileUploads.initiate(request.caller.userId, {
        filename,
        fileSize: file_size,
        contentType: content_type ?? 'application/octet-stream',
        ...(checksum_sha256 ? { sha256: checksum_sha256.toLowerCase() } : {}),
      });
      return {
        status: 201,
        body: {
          file_id: file.fileId,
          upload_url: publicUrl(request, upload.url),
          chunk_size: file.chunkSize,
          total_chunks: totalChunks(file),
          expires_at: upload.expiresAt.toISOString(),
        },
      };
    }),
  );

  app.get('/files/:file_id', { schema: fileStatusSchema }, async (request) =>
    fileStatusJson(await fileUploads.status(request.caller.userId, request.params.file_id)),
  );

  app.post('/files/complete', { schema: completeSchema }, async (request) =>
    completedJson(await completeUpload.complete(request.caller.userId, request.body.file_id, request.body.checksum.toLowerCase())),
  );

  app.get('/files/:file_id/download', { schema: downloadSchema }, async (request, reply) => {
    const file = await fileDownloads.authorize(request.caller.userId, request.params.file_id);
    const headers = { contentType: file.contentType, contentDisposition: attachment(file.filename) };
    const url = await fileDownloads.redirectUrl(file, headers);
    if (url) return reply.header('cache-control', 'no-store').redirect(url, 302);
    const range = parseByteRange(request.headers.range, file.fileSize);
    if (range === 'unsatisfiable') {
      reply.header('content-range', `bytes */${file.fileSize}`);
      return sendProblem(reply, problem(416, EdgeErrorCodes.RANGE_NOT_SATISFIABLE, `The file has ${file.fileSize} bytes; that range lies outside it`));
    }
    const body = collectingGarbage(await fileDownloads.open(file, range));
    reply
      .header('content-type', headers.contentType)
      .header('content-disposition', headers.contentDisposition)
      .header('accept-ranges', 'bytes')
      .header('etag', `"${file.sha256}"`);
    if (!range) return reply.header('content-length', file.fileSize).send(body);
    return reply
      .code(206)
      .header('content-range', `bytes ${range.start}-${range.end}/${file.fileSize}`)
      .header('content-length', range.end - range.start + 1)
      .send(body);
  });
};

/** A raw chunk body (the request stream itself), with what its headers declare. */
export function rawChunk(request: FastifyRequest): ChunkBody {
  const length = request.headers['content-length'];
  return {
    stream: request.body instanceof Readable ? request.body : Readable.from([]),
    ...(length !== undefined && !request.headers['transfer-encoding'] ? { contentLength: Number(length) } : {}),
    ...chunkSha256(request),
  };
}

/** The chunk in the `file` field of a multipart form. */
async function multipartChunk(request: FastifyRequest): Promise<ChunkBody> {
  const sha256 = chunkSha256(request);
  if (!new MIMEType(request.headers['content-type']!).params.has('boundary')) {
    throw validationError('content-type', 'must name the boundary of the form: multipart/form-data; boundary=…');
  }
  const part = await request.file().catch((error: unknown) => {
    throw formError(error);
  });
  if (!part || part.fieldname !== 'file') throw validationError('file', 'send the chunk in a multipart field named "file"');
  return { stream: Readable.from(withFormErrors(part.file), { objectMode: false }), ...sha256 };
}

/**
 * busboy rejects a form cut short or malformed with a bare Error, which was a 500: it is the client's 400, on the
 * field the chunk travels in. @fastify/multipart's own errors (limits, a request closed early) carry their status.
 */
function formError(error: unknown): unknown {
  if (typeof (error as { statusCode?: unknown }).statusCode === 'number') return error;
  const reason = error instanceof Error ? error.message : String(error);
  return validationError('file', `is not a complete multipart/form-data part (${reason}); send the chunk again`);
}

/** The part's bytes; an error of the form under them becomes formError's. */
async function* withFormErrors(part: Readable): AsyncGenerator<Buffer> {
  try {
    yield* part;
  } catch (error) {
    throw formError(error);
  }
}

function chunkSha256(request: FastifyRequest): { sha256?: string } {
  const header = request.headers['x-chunk-sha256'];
  if (header === undefined) return {};
  const sha256 = typeof header === 'string' ? normalizeSha256(header) : undefined;
  if (!sha256) throw validationError('x-chunk-sha256', 'must be the SHA-256 of the chunk in 64 hex digits');
  return { sha256 };
}

export function uploadedJson(nextUploadUrl: string | null, fileId: string, chunkId: number) {
  return { file_id: fileId, chunk_id: chunkId, status: 'uploaded' as const, next_upload_url: nextUploadUrl };
}
