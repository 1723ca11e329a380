import { createReadStream } from 'node:fs';
import { createRequire } from 'node:module';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { HttpApp } from './http-app.ts';

/** ReDoc's browser bundle, from the installed package: the page works with no internet (it used a CDN). */
const REDOC_SCRIPT = createRequire(import.meta.url).resolve('redoc/bundles/redoc.standalone.js');

const REDOC_PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>Chat4All API — ReDoc</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><redoc spec-url="/openapi.json"></redoc>
<script src="/redoc/redoc.standalone.js"></script></body></html>`;

/** The page loads only from the hub: ReDoc's menu footer would fetch its logo from its CDN, offline or not. */
const REDOC_POLICY =
  "default-src 'self'; script-src 'self' blob:; worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data:";

/** OpenAPI generated from the route schemas that also validate requests: /openapi.json, /docs, /redoc. */
export async function registerApiDocs(app: HttpApp): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Chat4All API Hub',
        version: '1.0.0',
        description:
          'One API for private and group conversations delivered to WhatsApp, Instagram and more. ' +
          'Errors are RFC 9457 problem documents with a stable `error_code`.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer' },
          channelSignature: {
            type: 'apiKey',
            in: 'header',
            name: 'X-Chat4All-Signature',
            description:
              "Channel providers sign their webhooks: sha256=<hex HMAC-SHA256 of \"<X-Chat4All-Timestamp>.<raw body>\" with the channel's secret>",
          },
        },
      },
      tags: [
        { name: 'auth', description: 'Access tokens: sign-in, refresh, revocation, client credentials' },
        { name: 'admin', description: 'Accounts, for tokens with the admin scope (a client\'s)' },
        { name: 'users', description: 'Who is here' },
        { name: 'conversations', description: 'Private and group conversations' },
        { name: 'messages', description: 'Sending and reading messages' },
        { name: 'events', description: 'Real-time events over a WebSocket' },
        { name: 'webhooks', description: "Signed POSTs of the caller's events to their endpoints, retries, dead letters" },
        { name: 'channels', description: 'Inbound traffic from channel providers' },
        { name: 'files', description: 'Resumable uploads up to 2 GiB, verified by SHA-256, and downloads' },
        { name: 'ops', description: 'Health and readiness' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/redoc', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/html').header('content-security-policy', REDOC_POLICY).send(REDOC_PAGE),
  );
  app.get('/redoc/redoc.standalone.js', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/javascript').header('cache-control', 'public, max-age=86400').send(createReadStream(REDOC_SCRIPT)),
  );
}
