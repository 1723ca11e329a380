import { Type } from 'typebox';
import { ConversationTypes, memberLimits } from '../../domain/conversation-rules.ts';
import { badId, problems, Timestamp, Uuid } from './common.ts';

const Metadata = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false, description: 'Details shown to members' },
);

export const CreateConversationBody = Type.Object(
  {
    type: Type.Enum([...ConversationTypes], { description: 'private: exactly 2 members; group: 3 to 100' }),
    members: Type.Array(Uuid(), {
      minItems: memberLimits.private.min,
      maxItems: memberLimits.group.max,
      description: 'User ids, the caller included',
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
  summary: 'Create a private or group conversation',
  security: [{ bearer: [] }],
  body: CreateConversationBody,
  response: {
    201: ConversationSchema,
    ...problems([400, 401, 403, 413], {
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
