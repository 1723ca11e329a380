import { Type } from 'typebox';
import { SCOPES } from '../../domain/scopes.ts';
import { problems, Timestamp, Uuid } from './common.ts';

export const GRANT_TYPES = ['password', 'refresh_token', 'client_credentials'] as const;

const RefreshToken = Type.String({ minLength: 1, maxLength: 512, description: 'A refresh token from an earlier answer' });

/** A user's id and name on a token that acts for one; null on a client's token that acts for nobody. */
const NullableText = (description: string, format?: string) =>
  Type.Unsafe<string | null>({ type: ['string', 'null'], ...(format ? { format } : {}), description });

export const TokenBody = Type.Object(
  {
    grant_type: Type.Optional(
      Type.Enum([...GRANT_TYPES], { description: 'password when absent (the seed\'s clients send only username and password)' }),
    ),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'password grant' })),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, description: 'password grant' })),
    refresh_token: Type.Optional(RefreshToken),
    client_id: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'client_credentials grant, or in HTTP Basic' })),
    client_secret: Type.Optional(Type.String({ minLength: 1, maxLength: 512, description: 'client_credentials grant, or in HTTP Basic' })),
    scope: Type.Optional(Type.String({ maxLength: 256, description: `client_credentials grant: space-separated, some of the client's (${SCOPES.join(', ')}); all of them when absent` })),
  },
  {
    description:
      'JSON or application/x-www-form-urlencoded (OAuth 2). Other fields are ignored. A client may send its id and secret as HTTP Basic instead.',
    allOf: [
      {
        // also when grant_type is absent: the seed's logins
        if: { properties: { grant_type: { const: 'password' } } },
        then: { required: ['username', 'password'] },
      },
      { if: { properties: { grant_type: { const: 'refresh_token' } }, required: ['grant_type'] }, then: { required: ['refresh_token'] } },
    ],
    examples: [
      { username: 'user1', password: 'password123' },
      { grant_type: 'refresh_token', refresh_token: 'c4r_3q2x…' },
      { grant_type: 'client_credentials', client_id: '6f1c2d3e-4a5b-4c6d-8e7f-9a0b1c2d3e4f', client_secret: 'c4s_…', scope: 'admin' },
    ],
  },
);

const TokenAnswer = Type.Object(
  {
    access_token: Type.String({ description: 'Send as Authorization: Bearer <access_token>' }),
    token: Type.String({ description: 'Alias of access_token, for clients of the seed API' }),
    token_type: Type.Literal('bearer'),
    expires_in: Type.Integer({ description: 'Seconds until the access token expires (TOKEN_TTL_SECONDS)' }),
    expires_at: Timestamp('When the access token expires'),
    scope: Type.String({ description: 'The scopes granted, space-separated: chat (act as the user), admin (the admin API)' }),
    user_id: NullableText('The user the token acts for; null on a client token that acts for nobody', 'uuid'),
    username: NullableText('The username of user_id'),
    refresh_token: Type.Optional(Type.String({ description: 'Password and refresh grants: trade it at POST /auth/refresh (once: it rotates)' })),
    refresh_expires_in: Type.Optional(Type.Integer({ description: 'Seconds until the refresh token expires unused' })),
    refresh_expires_at: Type.Optional(Timestamp('When the refresh token expires unused')),
    client_id: Type.Optional(Uuid('client_credentials grant: the client')),
  },
  {
    examples: [
      {
        access_token: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl',
        token: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl',
        token_type: 'bearer',
        expires_in: 900,
        expires_at: '2026-11-24T12:15:00.000Z',
        scope: 'chat',
        user_id: '3f2b8c1e-6a4d-4e8b-9c7a-2d5e1f0a9b3c',
        username: 'user1',
        refresh_token: 'c4r_Vh2b0mS9x1fQk3yT7nL4pW8eR6uA5dC0gJ2iZ9oB1s',
        refresh_expires_in: 2592000,
        refresh_expires_at: '2026-12-24T12:00:00.000Z',
      },
    ],
  },
);

const tokenProblems = problems([400, 401, 403, 413, 429, 503], {
  400: { error_code: 'REFRESH_TOKEN_INVALID', detail: 'The refresh token was already used: its session is ended for safety; sign in again' },
  401: { error_code: 'INVALID_CREDENTIALS', detail: 'Invalid username or password' },
  403: { error_code: 'USER_DISABLED', detail: 'The account was disabled' },
  413: { error_code: 'BODY_TOO_LARGE', detail: 'The request body is larger than 8 KiB' },
  429: {
    error_code: 'RATE_LIMITED',
    detail: 'Rate limit "login-username" reached: at most 20 login attempts for one username every 5 minutes; retry in 230 s',
  },
  503: { error_code: 'LOGIN_BUSY', detail: 'Too many logins are being checked right now; retry in a moment' },
});

export const tokenSchema = {
  tags: ['auth'],
  summary: 'Get an access token: password (default), refresh_token or client_credentials grant',
  description:
    'Password: a chat-scoped access token and a refresh token (a new session). refresh_token: the same as POST /auth/refresh. ' +
    'client_credentials: a backend\'s token with some of its scopes (no refresh token); errors VALIDATION_FAILED, ' +
    'INVALID_SCOPE, REFRESH_TOKEN_INVALID (400), INVALID_CREDENTIALS, CLIENT_CREDENTIALS_INVALID (401), USER_DISABLED (403).',
  body: TokenBody,
  response: { 200: TokenAnswer, ...tokenProblems },
};

export const RefreshBody = Type.Object(
  { refresh_token: RefreshToken },
  { additionalProperties: false, examples: [{ refresh_token: 'c4r_Vh2b0mS9x1fQk3yT7nL4pW8eR6uA5dC0gJ2iZ9oB1s' }] },
);

export const refreshSchema = {
  tags: ['auth'],
  summary: 'Trade a refresh token for a new access token and the next refresh token of its family',
  description:
    'A refresh token works once. Presenting a spent one again ends its whole session: every access and refresh token of it stops working.',
  body: RefreshBody,
  response: {
    200: TokenAnswer,
    ...problems([400, 403, 413], {
      400: { error_code: 'REFRESH_TOKEN_INVALID', detail: 'The refresh token was already used: its session is ended for safety; sign in again' },
      403: { error_code: 'USER_DISABLED', detail: 'The account was disabled' },
      413: { error_code: 'BODY_TOO_LARGE', detail: 'The request body is larger than 8 KiB' },
    }),
  },
};

export const RevokeBody = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 4096, description: 'An access token or a refresh token' }),
    token_type_hint: Type.Optional(Type.String({ maxLength: 64, description: 'access_token or refresh_token (RFC 7009); either is found without it' })),
  },
  { description: 'JSON or application/x-www-form-urlencoded (RFC 7009)', examples: [{ token: 'c4r_Vh2b0mS9x1fQk3yT7nL4pW8eR6uA5dC0gJ2iZ9oB1s' }] },
);

export const revokeSchema = {
  tags: ['auth'],
  summary: 'Revoke a token (RFC 7009): ends the session it belongs to',
  description:
    'Answers 200 whether or not the token was valid, as RFC 7009 says. Every access token and the refresh token of the session stop working: ' +
    'at once on this process, within CHAT4ALL_REVOCATION_POLL_MS on every other.',
  body: RevokeBody,
  response: {
    200: Type.Object({}, { description: 'Revoked, or nothing to revoke', examples: [{}] }),
    ...problems([400, 413], {
      400: { error_code: 'VALIDATION_FAILED', detail: 'token: is required', field_errors: { token: ['is required'] } },
      413: { error_code: 'BODY_TOO_LARGE', detail: 'The request body is larger than 8 KiB' },
    }),
  },
};

export const logoutSchema = {
  tags: ['auth'],
  summary: 'Sign out: ends the session of the access token sent',
  security: [{ bearer: [] }],
  response: {
    204: Type.Null({ description: 'Signed out' }),
    ...problems([401], { 401: { error_code: 'TOKEN_REVOKED', detail: 'The access token was revoked: its session ended' } }),
  },
};
