import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { UserDirectory } from '../../app/user-directory.ts';
import { userJson } from '../representations.ts';
import { DEFAULT_PAGE_LIMIT } from '../schemas/common.ts';
import { listUsersSchema, meSchema } from '../schemas/user-schemas.ts';

export const userRoutes: FastifyPluginAsyncTypebox<{ directory: UserDirectory }> = async (app, { directory }) => {
  app.get('/users/me', { schema: meSchema }, async (request) => userJson(await directory.me(request.caller.userId)));

  app.get('/users', { schema: listUsersSchema }, async (request) => {
    const { username, limit = DEFAULT_PAGE_LIMIT, offset = 0 } = request.query;
    const { users, total } = await directory.search({ ...(username === undefined ? {} : { username }), limit, offset });
    return { users: users.map(userJson), total, limit, offset };
  });
};
