import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Conversations } from '../../app/conversations.ts';
import { conversationJson } from '../representations.ts';
import { createConversationSchema, getConversationSchema } from '../schemas/conversation-schemas.ts';

export const conversationRoutes: FastifyPluginAsyncTypebox<{ conversations: Conversations }> = async (
  app,
  { conversations },
) => {
  app.post('/conversations', { schema: createConversationSchema }, async (request, reply) => {
    const { type, members, metadata } = request.body;
    const conversation = await conversations.create(request.caller.userId, {
      type,
      members,
      ...(metadata ? { metadata } : {}),
    });
    return reply.code(201).send(conversationJson(conversation));
  });

  app.get('/conversations/:id', { schema: getConversationSchema }, async (request) =>
    conversationJson(await conversations.get(request.caller.userId, request.params.id)),
  );
};
