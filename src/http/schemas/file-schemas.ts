import { Type, type TSchema } from 'typebox';
import { FileStatuses, MAX_FILE_SIZE } from '../../domain/file-rules.ts';
import { badId, IdempotencyKeyHeaders, Position, problems, Timestamp, Uuid } from './common.ts';

const fileId = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const sha256 = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';
const hubUrl = (chunk: number) =>
  `http://localhost:8000/uploads/${fileId}/chunks/${chunk}?expires=1795003200&signature=${'5d41402a'.repeat(8)}`;

const Sha256 = (description: string) =>
  Type.String({ pattern: '^[0-9a-fA-F]{64}$', description: `${description} (64 hex digits)`, examples: [sha256] });

/** A body read as a stream, never parsed: the validator lets it through (see validation.ts). */
export const BINARY = { type: 'string', format: 'binary', 'x-streamed': true, examples: ['…the bytes of the chunk…'] } as const;

/**
 * type/subtype and parameters, in what a Content-Type header can carry (visible ASCII, spaces and tabs): downloads
 * send it back as one, and a character beyond that made them a 500.
 */
const MEDIA_TYPE = '^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+([ \\t]*;[ \\t!-~]*)?$';

const InitiateBody = Type.Object(
  {
    filename: Type.String({
      minLength: 1,
      maxLength: 255,
      // no control characters or path separators: it ends up in Content-Disposition headers and file systems
      pattern: '^[^\\u0000-\\u001f\\u007f/\\\\]+$',
      description: 'The original name, any Unicode; returned in Content-Disposition on download',
    }),
    file_size: Type.Integer({ minimum: 1, description: `Bytes; at most ${MAX_FILE_SIZE} (2 GiB), else 413` }),
    content_type: Type.Optional(
      Type.String({ maxLength: 255, pattern: MEDIA_TYPE, default: 'application/octet-stream', description: 'A media type' }),
    ),
    checksum_sha256: Type.Optional(Sha256('SHA-256 of the whole file, if known up front; complete must then send the same')),
  },
  {
    additionalProperties: false,
    examples: [{ filename: 'relatório anual.pdf', file_size: 12_582_912, content_type: 'application/pdf' }],
  },
);

const Initiated = Type.Object(
  {
    file_id: Uuid(),
    upload_url: Type.String({ description: 'Presigned URL to PUT chunk 0 to' }),
    chunk_size: Type.Integer({ description: 'Bytes per chunk; the last chunk holds the rest' }),
    total_chunks: Type.Integer(),
    expires_at: Timestamp('When upload_url stops working (ask PATCH /v1/files/upload with {} for a new one)'),
  },
  {
    examples: [
      { file_id: fileId, upload_url: hubUrl(0), chunk_size: 8_388_608, total_chunks: 2, expires_at: '2026-11-24T13:00:00.000Z' },
    ],
  },
);

export const initiateSchema = {
  tags: ['files'],
  summary: 'Start a resumable upload (up to 2 GiB)',
  description:
    'Answers with the chunk layout and a presigned URL for chunk 0. Chunks then go through PATCH /v1/files/upload or ' +
    'straight to presigned URLs, in any order and in parallel; POST /v1/files/complete verifies the SHA-256.',
  security: [{ bearer: [] }],
  headers: IdempotencyKeyHeaders,
  body: InitiateBody,
  response: {
    201: Initiated,
    ...problems([400, 401, 409, 413, 429], {
      400: { error_code: 'VALIDATION_FAILED', detail: 'file_size: must be >= 1', field_errors: { file_size: ['must be >= 1'] } },
      409: {
        error_code: 'STORAGE_QUOTA_EXCEEDED',
        detail: 'file_size: 12582912 bytes do not fit the storage quota of 21474836480 bytes, 21470000000 of them taken',
        field_errors: { file_size: ['must be at most 4836480, what is left of the storage quota'] },
      },
      413: { error_code: 'FILE_TOO_LARGE', detail: 'File size exceeds the 2 GiB limit (2147483648 bytes)' },
      429: { error_code: 'RATE_LIMITED', detail: 'Rate limit "uploads" reached: at most 100 uploads started by one user every minute; retry in 12 s' },
    }),
  },
};

const ChunkQuery = Type.Object({
  file_id: Uuid(),
  chunk_id: Position({ description: '0-based chunk number' }),
});

const ChunkHeaders = Type.Object(
  {
    'x-chunk-sha256': Type.Optional(Sha256('SHA-256 of this chunk: a mismatch is rejected at once and the chunk not kept')),
  },
  { additionalProperties: true },
);

const Uploaded = Type.Object(
  {
    file_id: Uuid(),
    chunk_id: Type.Integer(),
    status: Type.Literal('uploaded'),
    next_upload_url: Type.Union([Type.String(), Type.Null()], { description: 'Presigned URL for the next chunk; null after the last' }),
  },
  { examples: [{ file_id: fileId, chunk_id: 0, status: 'uploaded', next_upload_url: hubUrl(1) }] },
);

const UrlIssued = Type.Object(
  {
    file_id: Uuid(),
    chunk_id: Type.Integer(),
    status: Type.Literal('awaiting_upload'),
    upload_url: Type.String({ description: 'Presigned URL to PUT this chunk to' }),
    expires_at: Timestamp('When upload_url stops working'),
  },
  { examples: [{ file_id: fileId, chunk_id: 1, status: 'awaiting_upload', upload_url: hubUrl(1), expires_at: '2026-11-24T13:00:00.000Z' }] },
);

const tooManyChunks = {
  error_code: 'TOO_MANY_CHUNK_UPLOADS',
  detail: '8 chunks of this user are streaming through this server already; send this one when one of them is done',
};

const chunkProblems = problems([400, 401, 403, 404, 409, 413, 415, 429], {
  400: { error_code: 'CHUNK_CHECKSUM_MISMATCH', detail: 'chunk 1 of 2 was corrupted in transit: its SHA-256 is …' },
  403: { error_code: 'NOT_FILE_UPLOADER', detail: 'Only the uploader of a file may send its chunks or complete it' },
  404: { error_code: 'FILE_NOT_FOUND', detail: `File ${fileId} not found` },
  409: { error_code: 'FILE_ALREADY_COMPLETED', detail: `File ${fileId} upload already completed` },
  413: { error_code: 'CHUNK_TOO_LARGE', detail: 'chunk 1 of 2 must be exactly 4194304 bytes; more were sent' },
  415: {
    error_code: 'UNSUPPORTED_MEDIA_TYPE',
    detail: 'Send the body as application/octet-stream, multipart/form-data, or application/json',
  },
  429: tooManyChunks,
});

export const uploadChunkSchema = {
  tags: ['files'],
  summary: 'Send chunk N through the API, or ask for a presigned URL for it',
  description:
    'The body is the chunk: raw `application/octet-stream`, or `multipart/form-data` with the field `file`. It streams ' +
    'to storage and must be exactly the chunk size (the last chunk: the rest). Sending a chunk again replaces it. ' +
    'An empty JSON body `{}` uploads nothing and returns a presigned URL for the chunk instead.',
  security: [{ bearer: [] }],
  querystring: ChunkQuery,
  headers: ChunkHeaders,
  body: {
    content: {
      'application/octet-stream': { schema: BINARY },
      'multipart/form-data': { schema: { type: 'object', properties: { file: BINARY }, required: ['file'], 'x-streamed': true } },
      'application/json': { schema: Type.Object({}, { additionalProperties: false, examples: [{}] }) },
    },
  },
  response: { 200: Type.Union([Uploaded, UrlIssued]), ...chunkProblems },
};

export const signedChunkSchema = {
  tags: ['files'],
  summary: 'PUT chunk N to a URL the hub signed (local-disk storage)',
  description:
    'Needs no token: the signature authorizes this chunk until `expires`. The body is the raw chunk, any content type. ' +
    'With S3 storage the presigned URLs point at the object store instead.',
  params: Type.Object({ file_id: Uuid(), chunk_id: Position() }),
  querystring: Type.Object({
    expires: Type.Integer({ minimum: 0, description: 'Unix time (seconds)' }),
    signature: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  }),
  headers: ChunkHeaders,
  body: { content: { 'application/octet-stream': { schema: BINARY } } },
  response: {
    200: Uploaded,
    ...problems([400, 403, 404, 409, 413, 429], {
      403: { error_code: 'UPLOAD_URL_EXPIRED', detail: 'The upload URL has expired: ask for a new one' },
      404: { error_code: 'FILE_NOT_FOUND', detail: `File ${fileId} not found` },
      409: { error_code: 'FILE_ALREADY_COMPLETED', detail: `File ${fileId} upload already completed` },
      413: { error_code: 'CHUNK_TOO_LARGE', detail: 'chunk 0 of 2 must be exactly 8388608 bytes; more were sent' },
      429: tooManyChunks,
    }),
  },
};

const FileIdParams = Type.Object({ file_id: Uuid('File id') });

const FileStatus = Type.Object(
  {
    file_id: Uuid(),
    filename: Type.String(),
    file_size: Type.Integer(),
    content_type: Type.String(),
    status: Type.Enum([...FileStatuses]),
    chunk_size: Type.Integer(),
    total_chunks: Type.Integer(),
    received_chunks: Type.Array(Type.Integer(), { description: 'Chunks stored whole' }),
    missing_chunks: Type.Array(Type.Integer(), { description: 'What a resuming client still has to send' }),
    sha256: Type.Optional(Type.String({ description: 'Once completed' })),
    failure_reason: Type.Optional(Type.String({ description: 'When failed' })),
    created_at: Timestamp('When the upload was initiated'),
    completed_at: Type.Union([Timestamp('When it was verified'), Type.Null()]),
  },
  {
    examples: [
      {
        file_id: fileId,
        filename: 'relatório anual.pdf',
        file_size: 12_582_912,
        content_type: 'application/pdf',
        status: 'uploading',
        chunk_size: 8_388_608,
        total_chunks: 2,
        received_chunks: [0],
        missing_chunks: [1],
        created_at: '2026-11-24T12:00:00.000Z',
        completed_at: null,
      },
    ],
  },
);

export const fileStatusSchema = {
  tags: ['files'],
  summary: 'An upload: its status and which chunks are received or missing (to resume)',
  security: [{ bearer: [] }],
  params: FileIdParams,
  response: { 200: FileStatus, ...problems([400, 401, 404], { 400: badId, 404: { error_code: 'FILE_NOT_FOUND', detail: 'File not found' } }) },
};

export const completeSchema = {
  tags: ['files'],
  summary: 'Assemble the chunks and verify the SHA-256 of the whole file',
  description:
    'Computes the SHA-256 over the stored object (streamed) and compares it with `checksum`. A mismatch is a 400 ' +
    'and the upload stays open: re-send chunks and complete again. Missing chunks are a 400 listing them (`missing_chunks`).',
  security: [{ bearer: [] }],
  body: Type.Object(
    { file_id: Uuid(), checksum: Sha256('SHA-256 of the whole file') },
    { additionalProperties: false, examples: [{ file_id: fileId, checksum: sha256 }] },
  ),
  response: {
    200: Type.Object(
      {
        file_id: Uuid(),
        status: Type.Literal('completed'),
        filename: Type.String(),
        file_size: Type.Integer(),
        content_type: Type.String(),
        sha256: Type.String(),
      },
      {
        examples: [
          { file_id: fileId, status: 'completed', filename: 'relatório anual.pdf', file_size: 12_582_912, content_type: 'application/pdf', sha256 },
        ],
      },
    ),
    ...problems([400, 401, 403, 404, 409], {
      400: { error_code: 'CHECKSUM_MISMATCH', detail: 'Checksum validation failed: file may be corrupted. …' },
      403: { error_code: 'NOT_FILE_UPLOADER', detail: 'Only the uploader of a file may send its chunks or complete it' },
      404: { error_code: 'FILE_NOT_FOUND', detail: 'File not found' },
      409: { error_code: 'FILE_ALREADY_COMPLETED', detail: 'File upload already completed' },
    }),
  },
};

const binaryResponse = (description: string): { description: string; content: Record<string, { schema: TSchema }> } => ({
  description,
  content: { 'application/octet-stream': { schema: BINARY as unknown as TSchema } },
});

export const downloadSchema = {
  tags: ['files'],
  summary: 'Download a completed file (uploader and members of conversations it was sent to)',
  description:
    'Local-disk storage: the hub streams the bytes, with `Range` support (206). S3 storage: a 302 to a presigned URL ' +
    'valid for 5 minutes, which supports `Range` too. Either way `Content-Type` is the declared type and ' +
    '`Content-Disposition` carries the original filename (RFC 6266, `filename*` in UTF-8).',
  security: [{ bearer: [] }],
  params: FileIdParams,
  response: {
    200: binaryResponse('The whole file'),
    206: binaryResponse('The requested byte range'),
    302: { description: 'Redirect to a short-lived presigned URL of the object store', type: 'null' },
    ...problems([400, 401, 404, 409, 416], {
      400: badId,
      404: { error_code: 'FILE_NOT_FOUND', detail: 'File not found' },
      409: { error_code: 'FILE_NOT_COMPLETED', detail: 'File has not completed its upload' },
      416: { error_code: 'RANGE_NOT_SATISFIABLE', detail: 'The file has 1000 bytes; the range starts at 5000' },
    }),
  },
};
