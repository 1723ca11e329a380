import { Type } from 'typebox';
import { metadataLimits } from '../../domain/conversation-metadata.ts';
import { ConversationTypes, memberLimits } from '../../domain/conversation-rules.ts';
import { badId, IdempotencyKeyHeaders, idempotencyConflict, Position, problems, Timestamp, Uuid } from './common.ts';

const Metadata = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  {
    // The client's own keys, any JSON: their nesting and total size are checked by conversation-metadata.ts.
    additionalProperties: true,
    maxProperties: metadataLimits.keys,
    propertyNames: { minLength: 1, maxLength: 64, pattern: '^[^\\u0000-\\u001f\\u007f]+$' },
    description:
      `Details shown to members: \`name\` and \`description\`, and up to ${metadataLimits.keys} keys in all of the client's own ` +
      `(1-64 characters each; any JSON, nested at most ${metadataLimits.depth} levels; at most ${metadataLimits.bytes} bytes as JSON)`,
  },
);

export const CreateConversationBody = Type.Object(
  {
    type: Type.Enum([...ConversationTypes], { description: 'private: exactly 2 members; group: 3 to 100' }),
    // No minItems/maxItems: the member rules (conversation-rules.ts) explain a count on either side in one sentence.
    members: Type.Array(Uuid(), {
      description: `User ids, the caller included: ${memberLimits.private.min} for private, ${memberLimits.group.min} to ${memberLimits.group.max} for group`,
    }),
    metadata: Type.Optional(Metadata),
  },
  {
    additionalProperties: false,
    examples: [
      {
        type: 'private',
        members: ['3f2b8c1e-6a4d-4e8b-9c7a-2d5e1f0a9b3c', '8d7e6f5a-4b3c-4d2e-8f1a-0b9c8d7e6f5a'],
      },
      {
        type: 'group',
        members: [
          '3f2b8c1e-6a4d-4e8b-9c7a-2d5e1f0a9b3c',
          '8d7e6f5a-4b3c-4d2e-8f1a-0b9c8d7e6f5a',
          '1a2b3c4d-5e6f-4a8b-9c0d-1e2f3a4b5c6d',
        ],
        metadata: { name: 'Project team', description: 'Weekly planning' },
      },
    ],
  },
);

export const ConversationSchema = Type.Object(
  {
    conversation_id: Uuid(),
    type: Type.Enum([...ConversationTypes]),
    members: Type.Array(Uuid()),
    metadata: Metadata,
    created_at: Timestamp('When the conversation was created'),
  },
  {
    examples: [
      {
        conversation_id: '5c4b3a29-1807-4f6e-9d5c-4b3a2918f7e6',
        type: 'private',
        members: ['3f2b8c1e-6a4d-4e8b-9c7a-2d5e1f0a9b3c', '8d7e6f5a-4b3c-4d2e-8f1a-0b9c8d7e6f5a'],
        metadata: {},
        created_at: '2026-11-24T12:00:00.000Z',
      },
    ],
  },
);

export const ConversationParams = Type.Object({ id: Uuid('Conversation id') });

export const createConversationSchema = {
  tags: ['conversations'],
  summary: 'Create a group conversation, or get or create the private one of two users',
  description:
    'A group conversation is created each time (201). A private conversation exists once per pair of users: asking ' +
    'for it again, by either member and in either order, answers 200 with the existing one as it is (the `metadata` ' +
    'of the later request is not applied).',
  security: [{ bearer: [] }],
  headers: IdempotencyKeyHeaders,
  body: CreateConversationBody,
  response: {
    200: { ...ConversationSchema, description: 'The private conversation of these two users already existed' },
    201: { ...ConversationSchema, description: 'Created' },
    ...problems([400, 401, 403, 409, 413], {
      409: idempotencyConflict,
      400: {
        error_code: 'VALIDATION_FAILED',
        detail: 'members: private conversations require exactly 2 members',
        field_errors: { members: ['private conversations require exactly 2 members'] },
      },
      403: { error_code: 'CREATOR_NOT_MEMBER', detail: 'Access denied: the caller must be one of the members' },
    }),
  },
};

export const getConversationSchema = {
  tags: ['conversations'],
  summary: 'A conversation and its members',
  security: [{ bearer: [] }],
  params: ConversationParams,
  response: { 200: ConversationSchema, ...problems([400, 401, 403, 404], { 400: badId }) },
};

const LastMessage = Type.Union(
  [
    Type.Object({
      message_id: Uuid(),
      seq: Type.Integer(),
      from: Uuid(),
      payload: Type.Object({ type: Type.String(), text: Type.Optional(Type.String()), file_id: Type.Optional(Uuid()) }),
      status: Type.String(),
      created_at: Timestamp('When it was accepted'),
    }),
    Type.Null(),
  ],
  { description: 'The most recent message, or null when there is none yet' },
);

const ConversationSummarySchema = Type.Object({
  ...ConversationSchema.properties,
  last_activity_at: Timestamp('When the last message was accepted (or the conversation created)'),
  last_message: LastMessage,
  unread_count: Type.Integer({ description: "Messages from others after the caller's read pointer" }),
});

export const listConversationsSchema = {
  tags: ['conversations'],
  summary: "The caller's conversations, most recent activity first",
  description: 'Cursor-paginated: pass `next_cursor` back as `cursor` for the next page; it is null on the last page.',
  security: [{ bearer: [] }],
  querystring: Type.Object({
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'next_cursor of the previous page' })),
  }),
  response: {
    200: Type.Object(
      { conversations: Type.Array(ConversationSummarySchema), next_cursor: Type.Union([Type.String(), Type.Null()]) },
      {
        examples: [
          {
            conversations: [
              {
                conversation_id: '5c4b3a29-1807-4f6e-9d5c-4b3a2918f7e6',
                type: 'private',
                members: ['3f2b8c1e-6a4d-4e8b-9c7a-2d5e1f0a9b3c', '8d7e6f5a-4b3c-4d2e-8f1a-0b9c8d7e6f5a'],
                metadata: {},
                created_at: '2026-11-24T12:00:00.000Z',
                last_activity_at: '2026-11-24T12:05:00.000Z',
                last_message: {
                  message_id: '0d9c8b7a-6f5e-4d3c-8b2a-190f8e7d6c5b',
                  seq: 7,
                  from: '8d7e6f5a-4b3c-4d2e-8f1a-0b9c8d7e6f5a',
                  payload: { type: 'text', text: 'See you at 3' },
                  status: 'delivered',
                  created_at: '2026-11-24T12:05:00.000Z',
                },
                unread_count: 2,
              },
            ],
            next_cursor: null,
          },
        ],
      },
    ),
    ...problems([400, 401], {
      400: { error_code: 'VALIDATION_FAILED', detail: 'cursor: is not a cursor this API issued', field_errors: { cursor: ['is not a cursor this API issued'] } },
    }),
  },
};

export const markReadSchema = {
  tags: ['conversations'],
  summary: 'Read receipt: everything up to a seq is read by the caller',
  description:
    "Moves the caller's read pointer forward (never back, never past the last message) and marks the caller's " +
    'deliveries of those messages read on every channel, so their senders see them read.',
  security: [{ bearer: [] }],
  params: ConversationParams,
  body: Type.Object(
    { up_to_seq: Position({ description: 'The seq of the last message read' }) },
    { additionalProperties: false, examples: [{ up_to_seq: 42 }] },
  ),
  response: {
    200: Type.Object(
      {
        conversation_id: Uuid(),
        user_id: Uuid(),
        up_to_seq: Type.Integer({ description: "The caller's read pointer now" }),
        messages_marked_read: Type.Integer({ description: 'Messages this receipt marked read' }),
      },
      {
        examples: [
          {
            conversation_id: '5c4b3a29-1807-4f6e-9d5c-4b3a2918f7e6',
            user_id: '8d7e6f5a-4b3c-4d2e-8f1a-0b9c8d7e6f5a',
            up_to_seq: 42,
            messages_marked_read: 3,
          },
        ],
      },
    ),
    ...problems([400, 401, 403, 404, 413], {
      400: { error_code: 'VALIDATION_FAILED', detail: 'up_to_seq: is required', field_errors: { up_to_seq: ['is required'] } },
    }),
  },
};
