import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Conversations } from '../../app/conversations.ts';
import type { IdempotentRequests } from '../../app/idempotent-requests.ts';
import type { ReadReceipts } from '../../app/read-receipts.ts';
import { activityCursor } from '../cursors.ts';
import { answerIdempotently } from '../idempotency-key.ts';
import { conversationJson, conversationSummaryJson } from '../representations.ts';
import {
  createConversationSchema,
  getConversationSchema,
  listConversationsSchema,
  markReadSchema,
} from '../schemas/conversation-schemas.ts';

interface ConversationRouteOptions {
  conversations: Conversations;
  readReceipts: ReadReceipts;
  idempotentRequests: IdempotentRequests;
}

export const conversationRoutes: FastifyPluginAsyncTypebox<ConversationRouteOptions> = async (
  app,
  { conversations, readReceipts, idempotentRequests },
) => {
  app.post('/conversations', { schema: createConversationSchema }, async (request, reply) =>
    answerIdempotently(idempotentRequests, request, reply, async () => {
      const { type, members, metadata } = request.body;
      const { conversation, created } = await conversations.create(request.caller.userId, {
        type,
        members,
        ...(metadata ? { metadata } : {}),
      });
      return { status: created ? 201 : 200, body: conversationJson(conversation) };
    }),
  );

  app.get('/conversations', { schema: listConversationsSchema }, async (request) => {
    const { limit = 20, cursor } = request.query;
    const page = await conversations.list(request.caller.userId, {
      limit,
      ...(cursor === undefined ? {} : { after: activityCursor.decode(cursor, 'cursor') }),
    });
    return {
      conversations: page.conversations.map(conversationSummaryJson),
      next_cursor: page.next && activityCursor.encode(page.next),
    };
  });

  app.get('/conversations/:id', { schema: getConversationSchema }, async (request) =>
    conversationJson(await conversations.get(request.caller.userId, request.params.id)),
  );

  app.post('/conversations/:id/read', { schema: markReadSchema }, async (request) => {
    const receipt = await readReceipts.markRead(request.caller.userId, request.params.id, request.body.up_to_seq);
    return {
      conversation_id: receipt.conversationId,
      user_id: receipt.userId,
      up_to_seq: receipt.upToSeq,
      messages_marked_read: receipt.marked,
    };
  });
};
