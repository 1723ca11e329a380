import { Type } from 'typebox';
import { problems, Uuid } from './common.ts';

export const channelWebhookSchema = {
  tags: ['channels'],
  summary: "A channel's inbound webhook: status events and incoming messages",
  description:
    'Called by the channel provider, not by users: no bearer token; the body is signed with the channel secret ' +
    '(CHAT4ALL_CHANNEL_SECRETS). The simulated channels take `{"statuses": [{provider_message_id, status: ' +
    'delivered|read|failed, timestamp?, reason?}], "messages": [{id, from, to | conversation_id, text, timestamp?}]}` ' +
    'signed as `X-Chat4All-Timestamp: <Unix seconds>` and `X-Chat4All-Signature: sha256=<hex HMAC-SHA256 of ' +
    '"<timestamp>.<raw body>">`; a timestamp further than CHAT4ALL_CHANNEL_WEBHOOK_TOLERANCE_SECONDS (300) from now ' +
    'is refused as a replay (401).',
  security: [{ channelSignature: [] }],
  params: Type.Object({ channel: Type.String({ minLength: 1, maxLength: 64 }) }),
  response: {
    200: Type.Object(
      {
        statuses_applied: Type.Integer({ description: 'Status events that named a known delivery' }),
        unmatched_statuses: Type.Array(Type.String(), { description: 'provider_message_ids the hub does not know' }),
        messages: Type.Array(
          Type.Object({
            id: Type.String({ description: "The channel's id of the inbound message" }),
            status: Type.Enum(['accepted', 'duplicate', 'rejected']),
            message_id: Type.Optional(Uuid('The hub message it became')),
            conversation_id: Type.Optional(Uuid()),
            reason: Type.Optional(Type.String({ description: 'Why it was rejected' })),
          }),
        ),
      },
      {
        examples: [
          {
            statuses_applied: 1,
            unmatched_statuses: [],
            messages: [
              {
                id: 'wamid.HBgLNTUxMTk5OTk5MDAwMRUCABIYFjNFQjBDMA',
                status: 'accepted',
                message_id: '0d9c8b7a-6f5e-8d3c-8b2a-190f8e7d6c5b',
                conversation_id: '5c4b3a29-1807-4f6e-9d5c-4b3a2918f7e6',
              },
            ],
          },
        ],
      },
    ),
    ...problems([400, 401, 404, 413], {
      401: { error_code: 'CHANNEL_SIGNATURE_INVALID', detail: "x-chat4all-signature does not match the timestamp and body signed with the channel's secret" },
      404: { error_code: 'CHANNEL_NOT_FOUND', detail: 'No channel named "sms"' },
      413: { error_code: 'BODY_TOO_LARGE', detail: 'The request body is larger than 1 MiB' },
    }),
  },
};
