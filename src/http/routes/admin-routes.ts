import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { IdempotentRequests } from '../../app/idempotent-requests.ts';
import type { UserAdmin } from '../../app/user-admin.ts';
import { requireScope } from '../bearer-auth.ts';
import { answerIdempotently } from '../idempotency-key.ts';
import { accountJson } from '../representations.ts';
import { createUserSchema, disableUserSchema, enableUserSchema, listAccountsSchema } from '../schemas/admin-schemas.ts';
import { DEFAULT_PAGE_LIMIT } from '../schemas/common.ts';

/** /v1/admin: what only the CLI could do before, for a token with the admin scope (a client's). */
export const adminRoutes: FastifyPluginAsyncTypebox<{ userAdmin: UserAdmin; idempotentRequests: IdempotentRequests }> = async (
  app,
  { userAdmin, idempotentRequests },
) => {
  app.addHook('onRequest', requireScope('admin'));

  app.post('/users', { schema: createUserSchema }, async (request, reply) =>
    answerIdempotently(idempotentRequests, request, reply, async () => ({
      status: 201,
      body: accountJson(await userAdmin.create(request.body.username, request.body.password)),
    })),
  );

  app.get('/users', { schema: listAccountsSchema }, async (request) => {
    const { username, limit = DEFAULT_PAGE_LIMIT, offset = 0 } = request.query;
    const { users, total } = await userAdmin.list({ ...(username === undefined ? {} : { username }), limit, offset });
    return { users: users.map(accountJson), total, limit, offset };
  });

  app.post('/users/:id/disable', { schema: disableUserSchema }, async (request) => accountJson(await userAdmin.disable(request.params.id)));
  app.post('/users/:id/enable', { schema: enableUserSchema }, async (request) => accountJson(await userAdmin.enable(request.params.id)));
};
