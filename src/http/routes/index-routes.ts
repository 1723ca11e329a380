import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';

/** Paths from the hub's root, so they hold behind a proxy that keeps the path (PUBLIC_BASE_URL has no say here). */
const INDEX = {
  name: 'Chat4All API Hub',
  docs: '/docs',
  redoc: '/redoc',
  openapi: '/openapi.json',
  health: '/health',
  ready: '/ready',
  token: '/auth/token',
  events: '/v1/ws',
};

const Index = Type.Object(
  {
    name: Type.String(),
    docs: Type.String({ description: 'Swagger UI' }),
    redoc: Type.String({ description: 'ReDoc' }),
    openapi: Type.String({ description: 'The OpenAPI 3.1 document' }),
    health: Type.String({ description: 'Liveness' }),
    ready: Type.String({ description: 'Readiness' }),
    token: Type.String({ description: 'Where to get an access token' }),
    events: Type.String({ description: 'The real-time events WebSocket' }),
  },
  { examples: [INDEX] },
);

/**
 * `GET /`: a small JSON index rather than a redirect to /docs, so that a person's browser and a program's first
 * request both learn where the documentation, the health checks and the API start.
 */
export const indexRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/',
    { schema: { tags: ['ops'], summary: 'Where to start: links to the documentation, the health checks and the API', response: { 200: Index } } },
    async () => INDEX,
  );
};
