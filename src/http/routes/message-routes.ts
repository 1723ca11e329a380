import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ReadMessages } from '../../app/read-messages.ts';
import type { SendMessage } from '../../app/send-message.ts';
import { DEFAULT_PRIORITY, type Payload } from '../../domain/message.ts';
import { acceptedJson, messageDetailJson, messageJson } from '../representations.ts';
import { DEFAULT_PAGE_LIMIT } from '../schemas/common.ts';
import { getMessageSchema, listMessagesSchema, sendMessageSchema } from '../schemas/message-schemas.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by routes that concern one message, so the request's log line carries it. */
    messageId?: string;
  }
}

interface MessageRouteOptions {
  sendMessage: SendMessage;
  readMessages: ReadMessages;
  channels: readonly string[];
}

export const messageRoutes: FastifyPluginAsyncTypebox<MessageRouteOptions> = async (app, options) => {
  const { sendMessage, readMessages, channels } = options;

  app.post('/messages', { schema: sendMessageSchema(channels) }, async (request, reply) => {
    const body = request.body;
    request.messageId = body.message_id;
    const payload: Payload =
      body.payload.type === 'text'
        ? { type: 'text', text: body.payload.text! }
        : { type: 'file', file_id: body.payload.file_id! };
    const { message, replayed } = await sendMessage.send(request.caller.userId, {
      messageId: body.message_id,
      conversationId: body.conversation_id,
      from: body.from,
      to: body.to ?? null,
      channels: [...new Set(body.channels)],
      payload,
      priority: body.priority ?? DEFAULT_PRIORITY,
    });
    if (replayed) reply.header('idempotent-replay', 'true');
    return acceptedJson(message);
  });

  app.get('/conversations/:id/messages', { schema: listMessagesSchema }, async (request) => {
    const { limit = DEFAULT_PAGE_LIMIT, offset = 0, after_seq: afterSeq, before_seq: beforeSeq } = request.query;
    const page = await readMessages.list(request.caller.userId, request.params.id, { limit, offset, afterSeq, beforeSeq });
    return { conversation_id: request.params.id, messages: page.messages.map(messageJson), total: page.total, limit, offset };
  });

  app.get('/messages/:id', { schema: getMessageSchema }, async (request) => {
    request.messageId = request.params.id;
    return messageDetailJson(await readMessages.get(request.caller.userId, request.params.id));
  });
};
