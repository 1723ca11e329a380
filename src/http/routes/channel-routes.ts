import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { InboundOutcome, ReceiveChannelWebhook } from '../../app/receive-channel-webhook.ts';
import { BodyLimits } from '../body-limits.ts';
import { channelWebhookSchema } from '../schemas/channel-schemas.ts';

const outcomeJson = (outcome: InboundOutcome) =>
  outcome.status === 'rejected'
    ? { id: outcome.externalId, status: outcome.status, reason: outcome.reason }
    : { id: outcome.externalId, status: outcome.status, message_id: outcome.messageId, conversation_id: outcome.conversationId };

/** Called by channel providers: signed with the channel's secret rather than a user's token. */
export const channelRoutes: FastifyPluginAsyncTypebox<{ receiveChannelWebhook: ReceiveChannelWebhook }> = async (
  app,
  { receiveChannelWebhook },
) => {
  // The signature covers the exact bytes: keep the body raw here (this plugin's scope only).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  app.post('/channels/:channel/webhook', { schema: channelWebhookSchema, bodyLimit: BodyLimits.channelWebhook }, async (request) => {
    const receipt = await receiveChannelWebhook.receive(request.params.channel, {
      headers: request.headers,
      rawBody: request.body as Buffer,
    });
    return {
      statuses_applied: receipt.statusesApplied,
      unmatched_statuses: receipt.unmatched,
      messages: receipt.messages.map(outcomeJson),
    };
  });
};
