import { Type } from 'typebox';
import { PageLimit, PageOffset, problems, Timestamp, Uuid } from './common.ts';

export const UserSchema = Type.Object(
  { user_id: Uuid(), username: Type.String(), created_at: Timestamp('When the account was created') },
  { examples: [{ user_id: '3f2b8c1e-6a4d-4e8b-9c7a-2d5e1f0a9b3c', username: 'user1', created_at: '2026-11-24T12:00:00.000Z' }] },
);

export const meSchema = {
  tags: ['users'],
  summary: 'The authenticated user',
  security: [{ bearer: [] }],
  response: { 200: UserSchema, ...problems([401]) },
};

export const ListUsersQuery = Type.Object({
  username: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Exact username to look up' })),
  limit: PageLimit,
  offset: PageOffset,
});

export const listUsersSchema = {
  tags: ['users'],
  summary: 'Find users, e.g. by username, to get the ids a conversation needs',
  security: [{ bearer: [] }],
  querystring: ListUsersQuery,
  response: {
    200: Type.Object(
      { users: Type.Array(UserSchema), total: Type.Integer(), limit: Type.Integer(), offset: Type.Integer() },
      {
        examples: [
          {
            users: [{ user_id: '3f2b8c1e-6a4d-4e8b-9c7a-2d5e1f0a9b3c', username: 'user2', created_at: '2026-11-24T12:00:00.000Z' }],
            total: 1,
            limit: 50,
            offset: 0,
          },
        ],
      },
    ),
    ...problems([400, 401], {
      400: { error_code: 'VALIDATION_FAILED', detail: 'limit: must be <= 100', field_errors: { limit: ['must be <= 100'] } },
    }),
  },
};
