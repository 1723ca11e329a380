import { Type, type TSchema } from 'typebox';

export const Uuid = (description?: string) =>
  Type.String({ format: 'uuid', ...(description ? { description } : {}), examples: ['3f2b8c1e-6a4d-4e8b-9c7a-2d5e1f0a9b3c'] });

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
  { description: 'RFC 9457 problem details' },
);

/** Example problem documents, reused in every route's documented error responses. */
const exampleProblems: Record<number, { error_code: string; detail: string; field_errors?: Record<string, string[]> }> = {
  400: {
    error_code: 'VALIDATION_FAILED',
    detail: 'payload.text: is required',
    field_errors: { 'payload.text': ['is required'] },
  },
  401: { error_code: 'TOKEN_MISSING', detail: 'Send an access token in the Authorization header: Bearer <token>' },
  403: { error_code: 'NOT_A_MEMBER', detail: 'Access denied: not a conversation member' },
  404: { error_code: 'CONVERSATION_NOT_FOUND', detail: 'Conversation not found' },
  409: { error_code: 'IDEMPOTENCY_CONFLICT', detail: 'message_id was already used for a different message' },
  413: { error_code: 'BODY_TOO_LARGE', detail: 'The request body is larger than 1 MiB' },
  503: { error_code: 'SERVICE_UNAVAILABLE', detail: 'The database is unreachable; retry later' },
};

/** Documented error responses for a route, each with an example. */
export function problems(...statuses: number[]): Record<number, TSchema> {
  return Object.fromEntries(
    statuses.map((status) => {
      const example = exampleProblems[status]!;
      return [
        status,
        { ...ProblemSchema, description: example.detail, examples: [{ type: 'about:blank', title: '', status, ...example }] },
      ];
    }),
  );
}
