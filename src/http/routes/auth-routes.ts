import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Authenticate } from '../../app/authenticate.ts';
import { BodyLimits } from '../body-limits.ts';
import type { RateLimitHooks } from '../rate-limit-hooks.ts';
import { sessionJson } from '../representations.ts';
import { loginSchema } from '../schemas/auth-schemas.ts';

export const authRoutes: FastifyPluginAsyncTypebox<{ authenticate: Authenticate; limit: RateLimitHooks['login'] }> = async (app, { authenticate, limit }) => {
  app.post('/auth/token', { schema: loginSchema, bodyLimit: BodyLimits.login, preHandler: limit }, async (request) => {
    const session = await authenticate.login(request.body.username, request.body.password);
    return sessionJson(session);
  });
};
