import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ReadMessages } from '../../app/read-messages.ts';
import type { SendMessage } from '../../app/send-message.ts';
import { validationError } from '../../domain/errors.ts';
import { DEFAULT_PRIORITY, type Payload } from '../../domain/message.ts';
import type { RateLimitHooks } from '../rate-limit-hooks.ts';
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
  /** Per user, counted before the body is read. */
  limit: RateLimitHooks['sends'];
}

export const messageRoutes: FastifyPluginAsyncTypebox<MessageRouteOptions> = async (app, options) => {
  const { sendMessage, readMessages, channels, limit } = options;

  app.post('/messages', { schema: sendMessageSchema(channels), onRequest: limit }, async (request, reply) => {
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
    const { limit = DEFAULT_PAGE_LIMIT, offset, after_seq: afterSeq, before_seq: beforeSeq } = request.query;
    const conversationId = request.params.id;
    const caller = request.caller.userId;
    if (afterSeq === undefined && beforeSeq === undefined) {
      const page = await readMessages.list(caller, conversationId, { limit, offset: offset ?? 0 });
      return { conversation_id: conversationId, messages: page.messages.map(messageJson), total: page.total, limit, offset: offset ?? 0 };
    }
    if (offset !== undefined) throw validationError('offset', 'cannot be combined with after_seq or before_seq');
    const page = await readMessages.listBySeq(caller, conversationId, {
      limit,
      ...(afterSeq === undefined ? {} : { afterSeq }),
      ...(beforeSeq === undefined ? {} : { beforeSeq }),
    });
    // Reading on continues after the last seq of the page (also to poll for newer ones); scrolling back, before the first.
    const nextAfter = page.messages.at(-1)?.seq ?? afterSeq;
    const nextBefore = page.messages[0]?.seq;
    return {
      conversation_id: conversationId,
      messages: page.messages.map(messageJson),
      limit,
      has_more: page.hasMore,
      ...(nextAfter === undefined ? {} : { next_after_seq: nextAfter }),
      ...(nextBefore === undefined ? {} : { next_before_seq: nextBefore }),
    };
  });

  app.get('/messages/:id', { schema: getMessageSchema }, async (request) => {
    request.messageId = request.params.id;
    return messageDetailJson(await readMessages.get(request.caller.userId, request.params.id));
  });
};
