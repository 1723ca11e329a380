import { Type } from 'typebox';
import { problems, Timestamp, Uuid } from './common.ts';

export const LoginBody = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 64 }),
    password: Type.String({ minLength: 1, maxLength: 1024 }),
  },
  {
    // OAuth-style clients add fields such as grant_type; login ignores what it does not need.
    description: 'Other fields (e.g. grant_type) are ignored',
    examples: [{ username: 'user1', password: 'password123' }],
  },
);

const Session = Type.Object(
  {
    access_token: Type.String({ description: 'Send as Authorization: Bearer <access_token>' }),
    token: Type.String({ description: 'Alias of access_token, for clients of the seed API' }),
    token_type: Type.Literal('bearer'),
    expires_in: Type.Integer({ description: 'Seconds until the token expires' }),
    expires_at: Timestamp('When the token expires'),
    user_id: Uuid(),
    username: Type.String(),
  },
  {
    examples: [
      {
        access_token: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl',
        token: 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIuLi4ifQ.c2lnbmF0dXJl',
        token_type: 'bearer',
        expires_in: 3600,
        expires_at: '2026-11-24T13:00:00.000Z',
        user_id: '3f2b8c1e-6a4d-4e8b-9c7a-2d5e1f0a9b3c',
        username: 'user1',
      },
    ],
  },
);

export const loginSchema = {
  tags: ['auth'],
  summary: 'Exchange a username and password for an access token',
  body: LoginBody,
  response: {
    200: Session,
    ...problems([400, 401, 413, 429, 503], {
      400: { error_code: 'VALIDATION_FAILED', detail: 'password: is required', field_errors: { password: ['is required'] } },
      401: { error_code: 'INVALID_CREDENTIALS', detail: 'Invalid username or password' },
      413: { error_code: 'BODY_TOO_LARGE', detail: 'The request body is larger than 8 KiB' },
      429: {
        error_code: 'RATE_LIMITED',
        detail: 'Rate limit "login-username" reached: at most 20 login attempts for one username every 5 minutes; retry in 230 s',
      },
      503: { error_code: 'LOGIN_BUSY', detail: 'Too many logins are being checked right now; retry in a moment' },
    }),
  },
};
