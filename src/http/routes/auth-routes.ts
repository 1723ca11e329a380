import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Authenticate } from '../../app/authenticate.ts';
import { BodyLimits } from '../body-limits.ts';
import { sessionJson } from '../representations.ts';
import { loginSchema } from '../schemas/auth-schemas.ts';

export const authRoutes: FastifyPluginAsyncTypebox<{ authenticate: Authenticate }> = async (app, { authenticate }) => {
  app.post('/auth/token', { schema: loginSchema, bodyLimit: BodyLimits.login }, async (request) => {
    const session = await authenticate.login(request.body.username, request.body.password);
    return sessionJson(session);
  });
};
