import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Identities, IdentityState } from '../../app/identities.ts';
import type { ChannelIdentity } from '../../ports/identity-store.ts';
import { claimIdentitySchema, listIdentitiesSchema, unlinkIdentitySchema, verifyIdentitySchema } from '../schemas/identity-schemas.ts';

const verifiedJson = (identity: ChannelIdentity) => ({
  channel: identity.channel,
  address: identity.address,
  user_id: identity.userId,
  status: 'verified' as const,
  created_at: identity.createdAt.toISOString(),
});

const identityJson = (state: IdentityState) => {
  if (state.status === 'verified') return verifiedJson(state.identity);
  const { claim } = state;
  return {
    channel: claim.channel,
    address: claim.address,
    user_id: claim.userId,
    status: 'pending' as const,
    created_at: claim.sentAt.toISOString(),
    expires_at: claim.expiresAt.toISOString(),
    attempts_left: claim.attemptsLeft,
  };
};

export const identityRoutes: FastifyPluginAsyncTypebox<{ identities: Identities; channels: readonly string[] }> = async (
  app,
  { identities, channels },
) => {
  app.post('/users/me/identities', { schema: claimIdentitySchema(channels) }, async (request, reply) => {
    const state = await identities.claim(request.caller.userId, request.body.channel, request.body.address);
    return reply.code(state.status === 'pending' ? 202 : 200).send(identityJson(state));
  });

  app.post('/users/me/identities/:channel/verify', { schema: verifyIdentitySchema }, async (request) =>
    verifiedJson(await identities.verify(request.caller.userId, request.params.channel, request.body.code)),
  );

  app.get('/users/me/identities', { schema: listIdentitiesSchema }, async (request) => ({
    identities: (await identities.list(request.caller.userId)).map(identityJson),
  }));

  app.delete('/users/me/identities/:channel', { schema: unlinkIdentitySchema }, async (request, reply) => {
    await identities.unlink(request.caller.userId, request.params.channel);
    return reply.code(204).send(null);
  });
};
