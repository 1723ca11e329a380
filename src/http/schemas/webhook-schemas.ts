import { Type } from 'typebox';
import { HubEventTypes } from '../../domain/hub-events.ts';
import { MAX_WEBHOOKS_PER_USER, WEBHOOK_URL_MAX_LENGTH } from '../../domain/webhooks.ts';
import { badId, IdempotencyKeyHeaders, PageLimit, Position, problems, Timestamp, Uuid } from './common.ts';

const EXAMPLE_WEBHOOK = {
  webhook_id: '7b6a5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d',
  url: 'https://app.example.com/chat4all/events',
  events: ['message.created', 'message.status'],
  created_at: '2026-11-24T12:00:00.000Z',
};

const notFound = { 404: { error_code: 'WEBHOOK_NOT_FOUND', detail: 'Webhook not found' } };

const WebhookSchema = Type.Object(
  {
    webhook_id: Uuid(),
    url: Type.String({ description: 'Where deliveries are POSTed' }),
    events: Type.Array(Type.Enum([...HubEventTypes]), { description: 'The event types delivered to it' }),
    created_at: Timestamp('When it was registered'),
  },
  { examples: [EXAMPLE_WEBHOOK] },
);

const WebhookParams = Type.Object({ id: Uuid('Webhook id') });

export const createWebhookSchema = {
  tags: ['webhooks'],
  summary: "Register an endpoint for the caller's events",
  description:
    "The endpoint receives, as signed POSTs (Standard Webhooks), the caller's feed events of the chosen types: the " +
    'same events the WebSocket pushes. The signing secret is in this answer only. ' +
    `A user has at most ${MAX_WEBHOOKS_PER_USER} webhooks. A retry with the same Idempotency-Key gets this answer, ` +
    'secret included, again (as Stripe does): only its caller can send it, and the secret was theirs already.',
  security: [{ bearer: [] }],
  headers: IdempotencyKeyHeaders,
  body: Type.Object(
    {
      url: Type.String({
        minLength: 1,
        maxLength: WEBHOOK_URL_MAX_LENGTH,
        description: 'An absolute http or https URL whose host is not, and does not resolve to, a loopback, private or other non-public address',
      }),
      events: Type.Array(Type.Enum([...HubEventTypes]), { minItems: 1, maxItems: 20, description: 'Event types to receive' }),
    },
    { additionalProperties: false, examples: [{ url: EXAMPLE_WEBHOOK.url, events: EXAMPLE_WEBHOOK.events }] },
  ),
  response: {
    201: Type.Object(
      {
        ...WebhookSchema.properties,
        secret: Type.String({ description: 'Standard Webhooks signing secret, whsec_<base64>: shown only now' }),
      },
      { examples: [{ ...EXAMPLE_WEBHOOK, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwQ0yLbPzC7Fo=' }] },
    ),
    ...problems([400, 401, 409, 413, 429], {
      429: { error_code: 'RATE_LIMITED', detail: 'Rate limit "webhooks" reached: at most 60 webhook registrations by one user every hour; retry in 1800 s' },
      400: {
        error_code: 'VALIDATION_FAILED',
        detail: 'url: must be an absolute http or https URL',
        field_errors: { url: ['must be an absolute http or https URL'] },
      },
      409: {
        error_code: 'WEBHOOK_LIMIT_REACHED',
        detail: `A user can have at most ${MAX_WEBHOOKS_PER_USER} webhooks; delete one first`,
      },
    }),
  },
};

export const listWebhooksSchema = {
  tags: ['webhooks'],
  summary: "The caller's webhooks, oldest first (without their secrets)",
  security: [{ bearer: [] }],
  response: {
    200: Type.Object({ webhooks: Type.Array(WebhookSchema) }, { examples: [{ webhooks: [EXAMPLE_WEBHOOK] }] }),
    ...problems([401]),
  },
};

export const getWebhookSchema = {
  tags: ['webhooks'],
  summary: 'One of the caller’s webhooks (without its secret)',
  security: [{ bearer: [] }],
  params: WebhookParams,
  response: { 200: WebhookSchema, ...problems([400, 401, 404], { 400: badId, ...notFound }) },
};

export const deleteWebhookSchema = {
  tags: ['webhooks'],
  summary: 'Delete one of the caller’s webhooks, and every delivery still owed to it',
  security: [{ bearer: [] }],
  params: WebhookParams,
  response: {
    204: Type.Null({ description: 'Deleted' }),
    ...problems([400, 401, 404], { 400: badId, ...notFound }),
  },
};

const Payload = Type.Object(
  {
    type: Type.Enum([...HubEventTypes]),
    timestamp: Timestamp('When the event happened'),
    data: Type.Unknown({ description: 'As in the WebSocket event of this type' }),
    event_id: Type.Integer({ description: "The event's id in the user's feed (strictly increasing: order by it)" }),
  },
  { description: 'The JSON body POSTed to the endpoint' },
);

const DeadLetterSchema = Type.Object({
  delivery_id: Uuid('Sent as webhook-id on every attempt'),
  payload: Payload,
  attempts: Type.Integer({ description: 'Attempts made in its last retry window' }),
  first_attempt_at: Timestamp('When its retry window began'),
  last_attempt_at: Timestamp('When it was last tried'),
  last_status: Type.Union([Type.Integer(), Type.Null()], { description: 'HTTP status of the last attempt; null: no answer' }),
  last_error: Type.Union([Type.String(), Type.Null()], { description: 'What went wrong the last time' }),
  dead_at: Timestamp('When it was dead-lettered'),
});

export const listDeadLettersSchema = {
  tags: ['webhooks'],
  summary: 'Deliveries that failed for the whole retry window, in the order they were dead-lettered',
  description: 'Paged: pass `next_after` back as `after`; it is null on the last page.',
  security: [{ bearer: [] }],
  params: WebhookParams,
  querystring: Type.Object({
    limit: PageLimit,
    after: Type.Optional(Position({ default: 0, description: 'next_after of the previous page' })),
  }),
  response: {
    200: Type.Object(
      { webhook_id: Uuid(), dead_letters: Type.Array(DeadLetterSchema), next_after: Type.Union([Type.Integer(), Type.Null()]) },
      {
        examples: [
          {
            webhook_id: EXAMPLE_WEBHOOK.webhook_id,
            dead_letters: [
              {
                delivery_id: '2c1b0a9f-8e7d-4c6b-9a5f-4e3d2c1b0a9f',
                payload: {
                  type: 'conversation.read',
                  timestamp: '2026-11-24T12:05:00.000Z',
                  data: {
                    conversation_id: '5c4b3a29-1807-4f6e-9d5c-4b3a2918f7e6',
                    user_id: '8d7e6f5a-4b3c-4d2e-8f1a-0b9c8d7e6f5a',
                    up_to_seq: 7,
                    at: '2026-11-24T12:05:00.000Z',
                  },
                  event_id: 42,
                },
                attempts: 29,
                first_attempt_at: '2026-11-24T12:05:00.100Z',
                last_attempt_at: '2026-11-25T12:05:00.100Z',
                last_status: 503,
                last_error: 'HTTP 503',
                dead_at: '2026-11-25T12:05:00.300Z',
              },
            ],
            next_after: null,
          },
        ],
      },
    ),
    ...problems([400, 401, 404], { 400: badId, ...notFound }),
  },
};

export const replayDeadLettersSchema = {
  tags: ['webhooks'],
  summary: 'Queue dead letters again: all of the webhook’s, or those named',
  description:
    'Each replayed delivery is due at once, keeps its webhook-id, and gets a new retry window. Ids that are not dead ' +
    'letters of this webhook are skipped; the answer lists those queued. Send `{}` to replay them all.',
  security: [{ bearer: [] }],
  params: WebhookParams,
  body: Type.Object(
    { delivery_ids: Type.Optional(Type.Array(Uuid(), { minItems: 1, maxItems: 1000, description: 'Default: every dead letter' })) },
    { additionalProperties: false, examples: [{}, { delivery_ids: ['2c1b0a9f-8e7d-4c6b-9a5f-4e3d2c1b0a9f'] }] },
  ),
  response: {
    202: Type.Object(
      { webhook_id: Uuid(), replayed: Type.Integer(), delivery_ids: Type.Array(Uuid()) },
      {
        examples: [
          { webhook_id: EXAMPLE_WEBHOOK.webhook_id, replayed: 1, delivery_ids: ['2c1b0a9f-8e7d-4c6b-9a5f-4e3d2c1b0a9f'] },
        ],
      },
    ),
    ...problems([400, 401, 404, 413], {
      400: { error_code: 'VALIDATION_FAILED', detail: 'delivery_ids.0: must be a UUID', field_errors: { 'delivery_ids.0': ['must be a UUID'] } },
      ...notFound,
    }),
  },
};
