import { Type } from 'typebox';
import { USERNAME_PATTERN } from '../../domain/user-rules.ts';
import { badId, IdempotencyKeyHeaders, PageLimit, PageOffset, problems, Timestamp, Uuid } from './common.ts';

const exampleAccount = { user_id: '3f2b8c1e-6a4d-4e8b-9c7a-2d5e1f0a9b3c', username: 'alice', created_at: '2026-11-24T12:00:00.000Z', status: 'active' };

const Account = Type.Object(
  {
    user_id: Uuid(),
    username: Type.String(),
    created_at: Timestamp('When the account was created'),
    status: Type.Enum(['active', 'disabled'], { description: 'disabled: cannot sign in, every session ended' }),
  },
  { examples: [exampleAccount] },
);

const forbidden = { error_code: 'INSUFFICIENT_SCOPE', detail: 'This route needs the admin scope; the token has: chat' };
const admin = { tags: ['admin'], security: [{ bearer: ['admin'] }] };

export const CreateUserBody = Type.Object(
  {
    username: Type.String({ pattern: USERNAME_PATTERN, description: '1-64 letters, digits, "_", "." or "-"' }),
    password: Type.String({ minLength: 1, maxLength: 1024, description: '8 characters to 72 bytes (UTF-8)' }),
  },
  { additionalProperties: false, examples: [{ username: 'alice', password: 'a long secret' }] },
);

export const createUserSchema = {
  ...admin,
  summary: 'Create a user',
  headers: IdempotencyKeyHeaders,
  body: CreateUserBody,
  response: {
    201: Account,
    ...problems([400, 401, 403, 409, 503], {
      400: { error_code: 'VALIDATION_FAILED', detail: 'password: must be at least 8 characters', field_errors: { password: ['must be at least 8 characters'] } },
      403: forbidden,
      409: { error_code: 'USERNAME_TAKEN', detail: 'username "alice" is already taken' },
      503: { error_code: 'LOGIN_BUSY', detail: 'Too many passwords are being hashed right now; retry in a moment' },
    }),
  },
};

export const listAccountsSchema = {
  ...admin,
  summary: 'Every user, disabled ones too, by username',
  querystring: Type.Object({
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Exact username to look up' })),
    limit: PageLimit,
    offset: PageOffset,
  }),
  response: {
    200: Type.Object(
      { users: Type.Array(Account), total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() },
      { examples: [{ users: [exampleAccount], total: 1, limit: 50, offset: 0 }] },
    ),
    ...problems([400, 401, 403], {
      400: { error_code: 'VALIDATION_FAILED', detail: 'limit: must be <= 100', field_errors: { limit: ['must be <= 100'] } },
      403: forbidden,
    }),
  },
};

const accountAction = (summary: string) => ({
  ...admin,
  summary,
  params: Type.Object({ id: Uuid('The user') }),
  response: {
    200: Account,
    ...problems([400, 401, 403, 404], {
      400: badId,
      403: forbidden,
      404: { error_code: 'USER_NOT_FOUND', detail: 'no user with id 3f2b8c1e-6a4d-4e8b-9c7a-2d5e1f0a9b3c' },
    }),
  },
});

export const disableUserSchema = accountAction(
  'Disable a user: no sign-in, and every session ended at once (access tokens refused, refresh tokens dead, WebSockets closed)',
);
export const enableUserSchema = accountAction('Enable a disabled user again (their ended sessions stay ended: they sign in again)');
