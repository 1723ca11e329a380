import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IdempotentRequests } from '../app/idempotent-requests.ts';
import type { StoredResponse } from '../ports/idempotency-store.ts';

/**
 * Answers a request that creates something: with an `Idempotency-Key` (its form checked by the route's header
 * schema) through IdempotentRequests, so a retry gets the first answer again, marked `Idempotent-Replay: true`.
 * Keys are the caller's own: a client's token keys by the client, a user's by the user.
 */
export async function answerIdempotently(
  requests: IdempotentRequests,
  request: FastifyRequest,
  reply: FastifyReply,
  create: () => Promise<StoredResponse>,
): Promise<FastifyReply> {
  const key = request.headers['idempotency-key'];
  if (typeof key !== 'string') {
    const { status, body } = await create();
    return reply.code(status).send(body);
  }
  const { clientId, userId } = request.credentials;
  const scope = {
    principal: clientId === undefined ? `user:${userId}` : `client:${clientId}`,
    operation: `${request.method} ${request.routeOptions.url}`,
    key,
  };
  const answer = await requests.run(scope, request.body, create);
  if (answer.replayed) reply.header('idempotent-replay', 'true');
  return reply.code(answer.status).send(answer.body);
}
