import { Type } from 'typebox';
import { ALL_CHANNELS } from '../../domain/channels.ts';
import { DEFAULT_PRIORITY, MAX_TEXT_LENGTH, Priorities } from '../../domain/message.ts';
import { DeliveryStatuses, MessageStatuses } from '../../domain/message-status.ts';
import { badId, PageLimit, Position, problems, Timestamp, Uuid } from './common.ts';

const example = {
  message_id: '0d9c8b7a-6f5e-4d3c-8b2a-190f8e7d6c5b',
  conversation_id: '5c4b3a29-1807-4f6e-9d5c-4b3a2918f7e6',
  from: '3f2b8c1e-6a4d-4e8b-9c7a-2d5e1f0a9b3c',
  to: '8d7e6f5a-4b3c-4d2e-8f1a-0b9c8d7e6f5a',
};

/** One schema node, so a bad value gets one clear message rather than one per union branch. */
const NullableUuid = (description: string) =>
  Type.Unsafe<string | null>({ type: ['string', 'null'], format: 'uuid', description });

const Payload = Type.Object(
  {
    type: Type.Enum(['text', 'file']),
    text: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_TEXT_LENGTH, description: 'Required for text' })),
    file_id: Type.Optional(Uuid('Required for file: a completed upload')),
  },
  {
    additionalProperties: false,
    allOf: [
      { if: { properties: { type: { const: 'text' } } }, then: { required: ['text'] } },
      { if: { properties: { type: { const: 'file' } } }, then: { required: ['file_id'] } },
    ],
  },
);

export function sendMessageBody(channels: readonly string[]) {
  return Type.Object(
    {
      message_id: Uuid('Chosen by the client; repeating it is safe (idempotency key)'),
      conversation_id: Uuid(),
      from: Uuid('Must be the authenticated user'),
      to: Type.Optional(NullableUuid('A member of the conversation, or null')),
      channels: Type.Array(Type.Enum([...channels, ALL_CHANNELS]), {
        minItems: 1,
        maxItems: 16,
        description: `Where to deliver: ${channels.join(', ')}, or "${ALL_CHANNELS}" for every registered channel`,
      }),
      payload: Payload,
      priority: Type.Optional(Type.Enum([...Priorities], { default: DEFAULT_PRIORITY })),
    },
    {
      additionalProperties: false,
      examples: [
        { ...example, channels: ['whatsapp'], payload: { type: 'text', text: 'Olá!' }, priority: 'normal' },
        { ...example, channels: [ALL_CHANNELS], payload: { type: 'text', text: 'To every channel' } },
      ],
    },
  );
}

const Accepted = Type.Object(
  {
    status: Type.Literal('accepted'),
    message_id: Uuid(),
    conversation_id: Uuid(),
    seq: Type.Integer({ description: 'Position in the conversation, strictly increasing' }),
    created_at: Timestamp('When the message was accepted'),
  },
  { examples: [{ status: 'accepted', ...example, seq: 1, created_at: '2026-11-24T12:00:00.000Z' }] },
);

export function sendMessageSchema(channels: readonly string[]) {
  return {
    tags: ['messages'],
    summary: 'Send a message (idempotent on message_id); delivery happens asynchronously',
    description:
      'Answers once the message and its outbox record are durable. Repeating a request with the same ' +
      'message_id returns the same body with `Idempotent-Replay: true`; reusing the id for a different message is 409.',
    security: [{ bearer: [] }],
    body: sendMessageBody(channels),
    response: { 200: Accepted, ...problems([400, 401, 403, 404, 409, 413, 429]) },
  };
}

const MessageSchema = Type.Object({
  message_id: Uuid(),
  conversation_id: Uuid(),
  seq: Type.Integer(),
  from: Uuid(),
  to: NullableUuid('The addressed member, if any'),
  channels: Type.Array(Type.String()),
  payload: Type.Object({
    type: Type.String(),
    text: Type.Optional(Type.String()),
    file_id: Type.Optional(Uuid()),
    filename: Type.Optional(Type.String({ description: 'For files: the original name' })),
    file_size: Type.Optional(Type.Integer({ description: 'For files: bytes' })),
    content_type: Type.Optional(Type.String({ description: 'For files: the declared media type' })),
  }),
  priority: Type.Enum([...Priorities]),
  status: Type.Enum([...MessageStatuses]),
  created_at: Timestamp('When the message was accepted'),
});

const messageExample = {
  ...example,
  seq: 1,
  channels: ['whatsapp'],
  payload: { type: 'text', text: 'Olá!' },
  priority: 'normal',
  status: 'delivered',
  created_at: '2026-11-24T12:00:00.000Z',
};

const Seq = (description: string) => Type.Optional(Position({ description }));

export const ListMessagesQuery = Type.Object({
  limit: PageLimit,
  offset: Type.Optional(Position({ description: 'Skip this many messages (offset paging, with total)' })),
  after_seq: Seq('Cursor paging: the messages after this seq, oldest first'),
  before_seq: Seq('Cursor paging: the messages just before this seq (scrolling back), oldest first'),
});

export const listMessagesSchema = {
  tags: ['messages'],
  summary: "A conversation's messages in send order (by seq)",
  description:
    'Two ways to page. By offset (`limit`, `offset`): the page and `total`. By cursor (`after_seq` and/or ' +
    '`before_seq`): the page next to that seq, `has_more`, and the cursor for the next page ' +
    '(`next_after_seq` reading on, `next_before_seq` scrolling back); it costs the same at any depth. ' +
    '`offset` cannot be combined with a cursor.',
  security: [{ bearer: [] }],
  params: Type.Object({ id: Uuid('Conversation id') }),
  querystring: ListMessagesQuery,
  response: {
    200: Type.Object(
      {
        conversation_id: Uuid(),
        messages: Type.Array(MessageSchema),
        limit: Type.Integer(),
        total: Type.Optional(Type.Integer({ description: 'Offset paging: messages in the conversation' })),
        offset: Type.Optional(Type.Integer()),
        has_more: Type.Optional(Type.Boolean({ description: 'Cursor paging: more messages lie in the direction read' })),
        next_after_seq: Type.Optional(Type.Integer({ description: 'Cursor paging: after_seq for the next page' })),
        next_before_seq: Type.Optional(Type.Integer({ description: 'Cursor paging: before_seq for the previous page' })),
      },
      {
        examples: [
          { conversation_id: example.conversation_id, messages: [messageExample], total: 1, limit: 50, offset: 0 },
          { conversation_id: example.conversation_id, messages: [messageExample], limit: 50, has_more: false, next_after_seq: 1 },
        ],
      },
    ),
    ...problems([400, 401, 403, 404], {
      400: { error_code: 'VALIDATION_FAILED', detail: 'limit: must be <= 100', field_errors: { limit: ['must be <= 100'] } },
    }),
  },
};

const MessageDetailSchema = Type.Object(
  {
    ...MessageSchema.properties,
    updated_at: Timestamp('When the status last changed'),
    status_history: Type.Array(
      Type.Object({ status: Type.Enum([...MessageStatuses]), reason: Type.Union([Type.String(), Type.Null()]), at: Timestamp('') }),
    ),
    delivery_summary: Type.Object(
      {
        total: Type.Integer(),
        ...Object.fromEntries(DeliveryStatuses.map((status) => [status, Type.Integer()])),
      },
      { description: 'How many deliveries (channel × recipient) are in each status' },
    ),
    deliveries: Type.Array(
      Type.Object({
        channel: Type.String(),
        recipient_id: Uuid(),
        status: Type.Enum([...DeliveryStatuses]),
        reason: Type.Union([Type.String(), Type.Null()]),
        provider_message_id: Type.Union([Type.String(), Type.Null()], { description: "The channel's own id for it" }),
        updated_at: Timestamp(''),
        history: Type.Array(
          Type.Object({
            status: Type.Enum([...DeliveryStatuses]),
            reason: Type.Union([Type.String(), Type.Null()]),
            channel_at: Type.Union([Timestamp('When the channel says it happened'), Type.Null()]),
            recorded_at: Timestamp('When the hub recorded it'),
          }),
        ),
      }),
    ),
  },
  {
    examples: [
      {
        ...messageExample,
        updated_at: '2026-11-24T12:00:00.040Z',
        status_history: [
          { status: 'accepted', reason: null, at: '2026-11-24T12:00:00.000Z' },
          { status: 'in_transit', reason: null, at: '2026-11-24T12:00:00.020Z' },
          { status: 'delivered', reason: null, at: '2026-11-24T12:00:00.040Z' },
        ],
        delivery_summary: { total: 1, pending: 0, sent: 0, delivered: 1, read: 0, failed: 0 },
        deliveries: [
          {
            channel: 'whatsapp',
            recipient_id: example.to,
            status: 'delivered',
            reason: null,
            provider_message_id: 'whatsapp-6b1f0e2d-3c4a-4b5d-8e6f-7a8b9c0d1e2f',
            updated_at: '2026-11-24T12:00:00.040Z',
            history: [
              { status: 'pending', reason: null, channel_at: null, recorded_at: '2026-11-24T12:00:00.020Z' },
              { status: 'sent', reason: null, channel_at: '2026-11-24T12:00:00.031Z', recorded_at: '2026-11-24T12:00:00.040Z' },
              { status: 'delivered', reason: null, channel_at: '2026-11-24T12:00:00.031Z', recorded_at: '2026-11-24T12:00:00.040Z' },
            ],
          },
        ],
      },
    ],
  },
);

export const getMessageSchema = {
  tags: ['messages'],
  summary: 'A message with its status history and per-channel, per-recipient deliveries',
  security: [{ bearer: [] }],
  params: Type.Object({ id: Uuid('Message id') }),
  response: {
    200: MessageDetailSchema,
    ...problems([400, 401, 403, 404], { 400: badId, 404: { error_code: 'MESSAGE_NOT_FOUND', detail: 'Message not found' } }),
  },
};
