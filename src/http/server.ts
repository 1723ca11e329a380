import websocket from '@fastify/websocket';
import Fastify, { LogController } from 'fastify';
import type { Logger } from 'pino';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Authenticate } from '../app/authenticate.ts';
import type { ClientCredentials } from '../app/client-credentials.ts';
import type { CompleteUpload } from '../app/complete-upload.ts';
import type { Conversations } from '../app/conversations.ts';
import type { Identities } from '../app/identities.ts';
import type { ReceiveChannelWebhook } from '../app/receive-channel-webhook.ts';
import type { LiveEvents } from '../app/live-events.ts';
import type { FileDownloads } from '../app/file-downloads.ts';
import type { FileUploads } from '../app/file-uploads.ts';
import type { RateLimitPolicies, RateLimiter } from '../app/rate-limiter.ts';
import type { IdempotentRequests } from '../app/idempotent-requests.ts';
import type { ReadMessages } from '../app/read-messages.ts';
import type { ReadReceipts } from '../app/read-receipts.ts';
import type { SendMessage } from '../app/send-message.ts';
import type { Sessions } from '../app/sessions.ts';
import type { UserAdmin } from '../app/user-admin.ts';
import type { UserDirectory } from '../app/user-directory.ts';
import type { Webhooks } from '../app/webhooks.ts';
import { allowedMethods } from './allowed-methods.ts';
import { registerApiDocs } from './api-docs.ts';
import { registerCors } from './cors.ts';
import type { HttpApp } from './http-app.ts';
import { BEARER_SUBPROTOCOL, bearerAuth, requireScope } from './bearer-auth.ts';
import { EdgeErrorCodes, problem, sendProblem, toProblem } from './problem.ts';
import { BodyLimits } from './body-limits.ts';
import { drainRefusedBody } from './lingering-drain.ts';
import { loggableUrl } from './loggable-url.ts';
import { publicUrls } from './public-urls.ts';
import { NO_RATE_LIMITS, rateLimitHooks } from './rate-limit-hooks.ts';
import { requestId } from './request-id.ts';
import { adminRoutes } from './routes/admin-routes.ts';
import { authRoutes } from './routes/auth-routes.ts';
import { channelRoutes } from './routes/channel-routes.ts';
import { conversationRoutes } from './routes/conversation-routes.ts';
import { fileRoutes } from './routes/file-routes.ts';
import { healthRoutes, type ReadinessCheck } from './routes/health-routes.ts';
import { identityRoutes } from './routes/identity-routes.ts';
import { indexRoutes } from './routes/index-routes.ts';
import { messageRoutes } from './routes/message-routes.ts';
import { signedUploadRoutes } from './routes/signed-upload-routes.ts';
import { userRoutes } from './routes/user-routes.ts';
import { webhookRoutes } from './routes/webhook-routes.ts';
import { MAX_CLIENT_FRAME_BYTES, onSocketError, websocketRoutes } from './routes/websocket-routes.ts';
import { validatorCompiler } from './validation.ts';

export interface HttpServices {
  authenticate: Authenticate;
  clientCredentials: ClientCredentials;
  sessions: Sessions;
  userAdmin: UserAdmin;
  directory: UserDirectory;
  conversations: Conversations;
  sendMessage: SendMessage;
  readMessages: ReadMessages;
  readReceipts: ReadReceipts;
  webhooks: Webhooks;
  /** Idempotency-Key on the routes that create something. */
  idempotentRequests: IdempotentRequests;
  liveEvents: LiveEvents;
  identities: Identities;
  receiveChannelWebhook: ReceiveChannelWebhook;
  wsHeartbeatMs: number;
  fileUploads: FileUploads;
  completeUpload: CompleteUpload;
  fileDownloads: FileDownloads;
  channels: readonly string[];
  /** The base of the hub's own upload URLs, when configured (PUBLIC_BASE_URL). */
  publicBaseUrl: string | undefined;
  /** Reverse proxies whose X-Forwarded-* headers are believed (TRUST_PROXY). */
  trustProxy: string[] | undefined;
  /** Origins of the browser apps allowed to call the API (CHAT4ALL_CORS_ORIGINS); none: no CORS headers. */
  corsOrigins: readonly string[];
  readiness: ReadinessCheck[];
  /** Tells errors that mean "a dependency is down, retry later" (answered 503) from bugs (500). */
  isUnavailable(error: unknown): boolean;
  /** The limits in force and their counters; undefined when limiting is off. */
  rateLimits: { limiter: RateLimiter; policies: RateLimitPolicies } | undefined;
}

const RETRY_AFTER_SECONDS = 5;

export async function buildHttpServer(services: HttpServices, log: Logger): Promise<HttpApp> {
  const app = Fastify({
    loggerInstance: log,
    // one line per request, written by the onResponse hook below
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BodyLimits.api,
    genReqId: requestId,
    ...(services.trustProxy ? { trustProxy: services.trustProxy } : {}),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }).withTypeProvider<TypeBoxTypeProvider>();

  const publicUrl = publicUrls(services.publicBaseUrl);
  const limits = services.rateLimits ? rateLimitHooks(services.rateLimits.limiter, services.rateLimits.policies) : NO_RATE_LIMITS;
  app.setValidatorCompiler(validatorCompiler);
  app.setErrorHandler((error, request, reply) => {
    drainRefusedBody(request, reply);
    // A client that hung up mid-body (a cut upload) is not a dependency outage.
    if (request.raw.readableAborted) {
      return sendProblem(reply, problem(400, EdgeErrorCodes.BAD_REQUEST, 'The request body ended before it was complete'));
    }
    if (!services.isUnavailable(error)) return sendProblem(reply, toProblem(error, request));
    request.log.warn({ err: error }, 'dependency unavailable');
    reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    return sendProblem(reply, problem(503, EdgeErrorCodes.SERVICE_UNAVAILABLE, 'The database cannot be reached right now; retry later'));
  });
  app.setNotFoundHandler((request, reply) => {
    const allowed = allowedMethods(app, request.url);
    if (allowed.length === 0) return sendProblem(reply, problem(404, EdgeErrorCodes.ROUTE_NOT_FOUND, `No route ${request.method} ${request.url}`));
    reply.header('allow', allowed.join(', '));
    const detail = `${request.method} is not allowed on ${request.url.split('?', 1)[0]}; it takes ${allowed.join(', ')}`;
    return sendProblem(reply, problem(405, EdgeErrorCodes.METHOD_NOT_ALLOWED, detail));
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // Browsers must not read a download (or any answer) as something other than its declared type, e.g. HTML.
    reply.header('x-content-type-options', 'nosniff');
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        url: loggableUrl(request.url),
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
        ...(request.messageId ? { message_id: request.messageId } : {}),
      },
      'request',
    );
  });

  await app.register(websocket, {
    // A client that sent its token as the subprotocol after "bearer" gets "bearer" back, as the protocol requires.
    options: {
      handleProtocols: (protocols) => (protocols.has(BEARER_SUBPROTOCOL) ? BEARER_SUBPROTOCOL : false),
      maxPayload: MAX_CLIENT_FRAME_BYTES,
    },
    errorHandler: onSocketError,
  });
  await registerCors(app, services.corsOrigins);
  await registerApiDocs(app);
  await app.register(indexRoutes);
  await app.register(healthRoutes, { checks: services.readiness });
  await app.register(authRoutes, { ...services, limit: limits.login });
  await app.register(channelRoutes, { prefix: '/v1', receiveChannelWebhook: services.receiveChannelWebhook });
  await app.register(
    async (v1) => {
      v1.addHook('onRequest', bearerAuth(services.sessions));
      await v1.register(adminRoutes, { prefix: '/admin', userAdmin: services.userAdmin, idempotentRequests: services.idempotentRequests });
      await v1.register(async (chat) => {
        chat.addHook('onRequest', requireScope('chat'));
        await chat.register(userRoutes, { directory: services.directory });
        await chat.register(identityRoutes, services);
        await chat.register(conversationRoutes, services);
        await chat.register(messageRoutes, { ...services, limit: limits.sends });
        await chat.register(webhookRoutes, { ...services, limit: limits.webhooks });
        await chat.register(websocketRoutes, { liveEvents: services.liveEvents, sessions: services.sessions, heartbeatMs: services.wsHeartbeatMs });
        await chat.register(fileRoutes, { ...services, publicUrl, limits });
      });
    },
    { prefix: '/v1' },
  );
  // Outside /v1 and its bearer tokens: presigned URLs carry their own authorization, like S3's.
  await app.register(signedUploadRoutes, { fileUploads: services.fileUploads, publicUrl });
  return app;
}
