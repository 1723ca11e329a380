import { Type } from 'typebox';
import { problems, Timestamp, Uuid } from './common.ts';

const example = { channel: 'whatsapp', address: '+5511999990001' };

const IdentitySchema = Type.Object(
  { channel: Type.String(), address: Type.String(), user_id: Uuid(), created_at: Timestamp('When it was linked') },
  { examples: [{ ...example, user_id: '3f2b8c1e-6a4d-4e8b-9c7a-2d5e1f0a9b3c', created_at: '2026-11-24T12:00:00.000Z' }] },
);

export function linkIdentitySchema(channels: readonly string[]) {
  return {
    tags: ['users'],
    summary: "Link the caller's address on a channel (one per channel; a new one replaces the old)",
    description:
      'Deliveries to the caller on that channel go to this address, and inbound channel messages from or to it are ' +
      "the caller's. 201 when linked now, 200 when it was linked already.",
    security: [{ bearer: [] }],
    body: Type.Object(
      {
        channel: Type.Enum([...channels], { description: `One of ${channels.join(', ')}` }),
        // Printable characters only: addresses end up in log lines and provider calls.
        address: Type.String({ minLength: 1, maxLength: 256, pattern: '^[^\\u0000-\\u001f\\u007f]+$' }),
      },
      { additionalProperties: false, examples: [example] },
    ),
    response: {
      200: IdentitySchema,
      201: IdentitySchema,
      ...problems([400, 401, 409, 413], {
        409: { error_code: 'IDENTITY_TAKEN', detail: 'whatsapp address +5511999990001 is linked to another user' },
      }),
    },
  };
}

export const listIdentitiesSchema = {
  tags: ['users'],
  summary: "The caller's linked channel addresses",
  security: [{ bearer: [] }],
  response: {
    200: Type.Object({ identities: Type.Array(IdentitySchema) }),
    ...problems([401]),
  },
};

export const unlinkIdentitySchema = {
  tags: ['users'],
  summary: "Unlink the caller's address on a channel",
  security: [{ bearer: [] }],
  params: Type.Object({ channel: Type.String({ minLength: 1, maxLength: 64 }) }),
  response: {
    204: Type.Null({ description: 'Unlinked' }),
    ...problems([400, 401, 404], {
      400: { error_code: 'VALIDATION_FAILED', detail: 'channel: must NOT have more than 64 characters', field_errors: { channel: ['must NOT have more than 64 characters'] } },
      404: { error_code: 'IDENTITY_NOT_FOUND', detail: 'You have no telegram address linked' },
    }),
  },
};
