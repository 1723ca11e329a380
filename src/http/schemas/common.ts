import { Type, type TSchema } from 'typebox';

export const Uuid = (description?: string) =>
  Type.String({ format: 'uuid', ...(description ? { description } : {}), examples: ['3f2b8c1e-6a4d-4e8b-9c7a-2d5e1f0a9b3c'] });

export const DEFAULT_PAGE_LIMIT = 50;

/**
 * A count or a position (seq, offset, event id): 0 or more, and at most 2^53 - 1, the largest integer a JSON number
 * holds exactly. Above it a query string's "9223372036854775808" reached PostgreSQL's bigint out of range, a 500.
 */
export const Position = (options: { description?: string; default?: number } = {}) =>
  Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, ...options });

/** Optional in the contract; Ajv fills the default in (handlers repeat it only for the type checker). */
export const PageLimit = Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_PAGE_LIMIT }));
export const PageOffset = Type.Optional(Position({ default: 0 }));

/** The header of the requests that create something (draft-ietf-httpapi-idempotency-key-header). */
export const IdempotencyKeyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[!-~]+$',
      description:
        'Any 1-255 visible ASCII characters chosen by the client, unique per request it means (a UUID does). A retry ' +
        'with the same key and body gets the first answer again, with `Idempotent-Replay: true`, and creates nothing; ' +
        'another body under the key is a 409 IDEMPOTENCY_CONFLICT, a retry while the first request still runs a 409 ' +
        'IDEMPOTENCY_REQUEST_IN_PROGRESS. Keys are kept 24 hours (CHAT4ALL_IDEMPOTENCY_KEY_TTL_HOURS), per caller and operation.',
      examples: ['8e03978e-40d5-43e8-bc93-6894a57f9324'],
    }),
  ),
});

export const Timestamp = (description: string) => Type.String({ format: 'date-time', description });

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'A URI naming the kind of problem' }),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String({ description: 'What went wrong, for a human' }),
    error_code: Type.String({ description: 'Stable machine-readable code' }),
    instance: Type.Optional(Type.String()),
    field_errors: Type.Optional(
      Type.Record(Type.String(), Type.Array(Type.String()), { description: 'Every bad field, by path' }),
    ),
  },
  // extension members such as missing_chunks are part of the document
  { description: 'RFC 9457 problem details', additionalProperties: true },
);

/** Example problem documents, reused in every route's documented error responses. */
const exampleProblems: Record<number, ExampleProblem> = {
  400: {
    error_code: 'VALIDATION_FAILED',
    detail: 'payload.text: is required',
    field_errors: { 'payload.text': ['is required'] },
  },
  401: { error_code: 'TOKEN_MISSING', detail: 'Send an access token in the Authorization header: Bearer <token>' },
  403: { error_code: 'NOT_A_MEMBER', detail: 'Access denied: not a conversation member' },
  404: { error_code: 'CONVERSATION_NOT_FOUND', detail: 'Conversation not found' },
  409: { error_code: 'IDEMPOTENCY_CONFLICT', detail: 'message_id was already used for a different message' },
  413: { error_code: 'BODY_TOO_LARGE', detail: 'The request body is larger than 64 KiB' },
  429: {
    error_code: 'RATE_LIMITED',
    detail: 'Rate limit "sends" reached: at most 3000 messages sent by one user every minute; retry in 42 s',
  },
  503: { error_code: 'SERVICE_UNAVAILABLE', detail: 'The database is unreachable; retry later' },
};

/** The 409 of a route that takes an Idempotency-Key. */
export const idempotencyConflict: ExampleProblem = {
  error_code: 'IDEMPOTENCY_CONFLICT',
  detail: 'Idempotency-Key "8e03978e-40d5-43e8-bc93-6894a57f9324" was already used for a different request; use a new key',
};

/** The 400 of a route whose path carries an id. */
export const badId: ExampleProblem = {
  error_code: 'VALIDATION_FAILED',
  detail: 'id: must be a UUID',
  field_errors: { id: ['must be a UUID'] },
};

type ExampleProblem = { error_code: string; detail: string; field_errors?: Record<string, string[]> };

/**
 * Documented error responses for a route, served as application/problem+json, each with an example.
 * Pass an example for a status to show an error typical of that route.
 */
export function problems(
  statuses: number[],
  examples: Record<number, ExampleProblem> = {},
): Record<number, { description: string; content: Record<string, { schema: TSchema }> }> {
  return Object.fromEntries(
    statuses.map((status) => {
      const example = examples[status] ?? exampleProblems[status]!;
      const document = { type: `https://chat4all.dev/errors/${example.error_code.toLowerCase()}`, title: '', status, ...example };
      return [
        status,
        {
          description: example.detail,
          content: { 'application/problem+json': { schema: { ...ProblemSchema, examples: [document] } } },
        },
      ];
    }),
  );
}
