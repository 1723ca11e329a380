import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { IdempotentRequests } from '../../app/idempotent-requests.ts';
import type { Webhooks } from '../../app/webhooks.ts';
import type { RateLimitHooks } from '../rate-limit-hooks.ts';
import { answerIdempotently } from '../idempotency-key.ts';
import { webhookDeadLetterJson, webhookJson } from '../representations.ts';
import { DEFAULT_PAGE_LIMIT } from '../schemas/common.ts';
import {
  createWebhookSchema,
  deleteWebhookSchema,
  getWebhookSchema,
  listDeadLettersSchema,
  listWebhooksSchema,
  replayDeadLettersSchema,
} from '../schemas/webhook-schemas.ts';

export const webhookRoutes: FastifyPluginAsyncTypebox<{ webhooks: Webhooks; idempotentRequests: IdempotentRequests; limit: RateLimitHooks['webhooks'] }> = async (
  app,
  { webhooks, idempotentRequests, limit },
) => {
  app.post('/webhooks', { schema: createWebhookSchema, onRequest: limit }, async (request, reply) =>
    answerIdempotently(idempotentRequests, request, reply, async () => {
      const { webhook, secret } = await webhooks.register(request.caller.userId, request.body);
      return { status: 201, body: { ...webhookJson(webhook), secret } };
    }),
  );

  app.get('/webhooks', { schema: listWebhooksSchema }, async (request) => ({
    webhooks: (await webhooks.list(request.caller.userId)).map(webhookJson),
  }));

  app.get('/webhooks/:id', { schema: getWebhookSchema }, async (request) =>
    webhookJson(await webhooks.get(request.caller.userId, request.params.id)),
  );

  app.delete('/webhooks/:id', { schema: deleteWebhookSchema }, async (request, reply) => {
    await webhooks.delete(request.caller.userId, request.params.id);
    return reply.code(204).send(null);
  });

  app.get('/webhooks/:id/dead-letters', { schema: listDeadLettersSchema }, async (request) => {
    const { limit = DEFAULT_PAGE_LIMIT, after = 0 } = request.query;
    const page = await webhooks.deadLetters(request.caller.userId, request.params.id, { limit, after });
    return { webhook_id: request.params.id, dead_letters: page.deadLetters.map(webhookDeadLetterJson), next_after: page.next };
  });

  app.post('/webhooks/:id/dead-letters/replay', { schema: replayDeadLettersSchema }, async (request, reply) => {
    const ids = await webhooks.replay(request.caller.userId, request.params.id, request.body.delivery_ids);
    return reply.code(202).send({ webhook_id: request.params.id, replayed: ids.length, delivery_ids: ids });
  });
};
