import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Identities } from '../../app/identities.ts';
import type { ChannelIdentity } from '../../ports/identity-store.ts';
import { linkIdentitySchema, listIdentitiesSchema, unlinkIdentitySchema } from '../schemas/identity-schemas.ts';

const identityJson = (identity: ChannelIdentity) => ({
  channel: identity.channel,
  address: identity.address,
  user_id: identity.userId,
  created_at: identity.createdAt.toISOString(),
});

export const identityRoutes: FastifyPluginAsyncTypebox<{ identities: Identities; channels: readonly string[] }> = async (
  app,
  { identities, channels },
) => {
  app.post('/users/me/identities', { schema: linkIdentitySchema(channels) }, async (request, reply) => {
    const { identity, created } = await identities.link(request.caller.userId, request.body.channel, request.body.address);
    return reply.code(created ? 201 : 200).send(identityJson(identity));
  });

  app.get('/users/me/identities', { schema: listIdentitiesSchema }, async (request) => ({
    identities: (await identities.list(request.caller.userId)).map(identityJson),
  }));

  app.delete('/users/me/identities/:channel', { schema: unlinkIdentitySchema }, async (request, reply) => {
    await identities.unlink(request.caller.userId, request.params.channel);
    return reply.code(204).send(null);
  });
};
