import { Type } from 'typebox';
import { Position, problems } from './common.ts';

export const websocketSchema = {
  tags: ['events'],
  summary: 'Real-time events over a WebSocket (message.created, message.status, conversation.read)',
  description:
    'Upgrade with the token in `Authorization: Bearer`, in the `token` query parameter, or as ' +
    '`Sec-WebSocket-Protocol: bearer, <token>`. The server sends `{"type":"ready",...}`, then every event after ' +
    '`last_event_id` (store-and-forward: what the client missed while away, in order), then live events, each ' +
    '`{"type":"message.created","id":17,"occurred_at":"…","data":{…}}`; ids are per user and strictly increasing. ' +
    'Without `last_event_id` only events from now on are sent. Clients may send `{"type":"resume","last_event_id":n}` ' +
    'and `{"type":"ping"}`. The server pings every heartbeat; when the token expires it closes with code 4001.',
  security: [{ bearer: [] }],
  querystring: Type.Object({
    token: Type.Optional(Type.String({ description: 'The access token, for clients that cannot set headers' })),
    last_event_id: Type.Optional(Position({ description: 'The id of the last event this client saw' })),
  }),
  response: {
    ...problems([400, 401], {
      400: { error_code: 'VALIDATION_FAILED', detail: 'last_event_id: must be >= 0', field_errors: { last_event_id: ['must be >= 0'] } },
    }),
  },
};
