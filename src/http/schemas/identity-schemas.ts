import { Type } from 'typebox';
import { CODE_DIGITS } from '../../domain/identity-claims.ts';
import { problems, Timestamp, Uuid } from './common.ts';

const example = { channel: 'whatsapp', address: '+5511999990001' };
const exampleUser = '3f2b8c1e-6a4d-4e8b-9c7a-2d5e1f0a9b3c';

const IdentitySchema = Type.Object(
  {
    channel: Type.String(),
    address: Type.String(),
    user_id: Uuid(),
    status: Type.Union([Type.Literal('verified'), Type.Literal('pending')], {
      description: 'verified: deliveries and inbound messages on the channel use this address; pending: waiting for the code sent there',
    }),
    created_at: Timestamp('When it was verified, or (pending) when its code was sent'),
    expires_at: Type.Optional(Timestamp('Pending only: when the code sent there stops verifying it')),
    attempts_left: Type.Optional(Type.Integer({ minimum: 0, description: 'Pending only: wrong codes it takes before the claim is over' })),
  },
  {
    examples: [
      { ...example, user_id: exampleUser, status: 'verified', created_at: '2026-11-24T12:00:00.000Z' },
      { ...example, user_id: exampleUser, status: 'pending', created_at: '2026-11-24T12:00:00.000Z', expires_at: '2026-11-24T12:10:00.000Z', attempts_left: 5 },
    ],
  },
);

const ChannelParams = Type.Object({ channel: Type.String({ minLength: 1, maxLength: 64 }) });

const taken = { error_code: 'IDENTITY_TAKEN', detail: 'whatsapp address +5511999990001 is linked to another user' };

export function claimIdentitySchema(channels: readonly string[]) {
  return {
    tags: ['users'],
    summary: "Claim the caller's address on a channel: the hub sends a code there, which verifies it",
    description:
      `202: the claim is pending and a ${CODE_DIGITS}-digit code is on its way to the address, through the channel ` +
      '(the simulated channels print it in the hub\'s output); `POST /v1/users/me/identities/{channel}/verify` with that ' +
      'code links the address. A new claim replaces the caller\'s pending one on that channel (its code stops working), at ' +
      'most one per resend interval (429 with Retry-After). 200: the caller has this address verified already (nothing ' +
      'sent). 409: someone else has it verified. Until verified, nothing is routed by the address.',
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
      202: IdentitySchema,
      ...problems([400, 401, 409, 413, 429], {
        409: taken,
        429: { error_code: 'IDENTITY_CODE_THROTTLED', detail: 'A code went out for your whatsapp claim less than 60 s ago: claim again in 42 s' },
      }),
    },
  };
}

export const verifyIdentitySchema = {
  tags: ['users'],
  summary: "Verify the caller's pending claim on a channel with the code sent to the address",
  description:
    'The claimed address becomes the caller\'s identity on the channel (replacing an earlier one there). A wrong code is ' +
    'a 400 with `attempts_left`; after the last attempt the claim is over (404 from then on). An expired code is a 410. ' +
    'When someone else verified the address first, 409.',
  security: [{ bearer: [] }],
  params: ChannelParams,
  body: Type.Object(
    { code: Type.String({ pattern: `^[0-9]{${CODE_DIGITS}}$`, description: `The ${CODE_DIGITS} digits sent to the address` }) },
    { additionalProperties: false, examples: [{ code: '482913' }] },
  ),
  response: {
    200: IdentitySchema,
    ...problems([400, 401, 404, 409, 410, 413], {
      400: {
        error_code: 'IDENTITY_CODE_INVALID',
        detail: 'code: does not match the code sent to +5511999990001; 4 attempts left',
        field_errors: { code: ['does not match the code sent to +5511999990001; 4 attempts left'] },
      },
      404: { error_code: 'IDENTITY_CLAIM_NOT_FOUND', detail: 'You have claimed no whatsapp address' },
      409: taken,
      410: { error_code: 'IDENTITY_CODE_EXPIRED', detail: 'The code sent to +5511999990001 expired at 2026-11-24T12:10:00.000Z: claim the address again for a new code' },
    }),
  },
};

export const listIdentitiesSchema = {
  tags: ['users'],
  summary: "The caller's channel addresses: verified, and pending claims",
  security: [{ bearer: [] }],
  response: {
    200: Type.Object({ identities: Type.Array(IdentitySchema) }),
    ...problems([401]),
  },
};

export const unlinkIdentitySchema = {
  tags: ['users'],
  summary: "Unlink the caller's address on a channel, and withdraw their pending claim there",
  security: [{ bearer: [] }],
  params: ChannelParams,
  response: {
    204: Type.Null({ description: 'Unlinked' }),
    ...problems([400, 401, 404], {
      400: { error_code: 'VALIDATION_FAILED', detail: 'channel: must NOT have more than 64 characters', field_errors: { channel: ['must NOT have more than 64 characters'] } },
      404: { error_code: 'IDENTITY_NOT_FOUND', detail: 'You have no telegram address linked or claimed' },
    }),
  },
};
