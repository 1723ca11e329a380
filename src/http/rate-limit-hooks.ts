import type { FastifyReply, FastifyRequest, onRequestHookHandler, preHandlerAsyncHookHandler } from 'fastify';
import type { RateLimitPolicies, RateLimiter } from '../app/rate-limiter.ts';
import { rateLimitedError, refusingLimit, type RateLimitDecision, type RateLimitPolicy } from '../domain/rate-limits.ts';
import type { DomainError } from '../domain/errors.ts';
import { rateLimitField, rateLimitPolicyField } from './rate-limit-fields.ts';

/** The hooks of the limited routes; one whose limit is off is undefined (the route then has no hook at all). */
export interface RateLimitHooks {
  /** preHandler of POST /auth/token: per client address and per username (or client id), once the body is read. */
  login: preHandlerAsyncHookHandler | undefined;
  /** onRequest hooks of /v1 routes, after authentication: per user, before the body is read. */
  sends: onRequestHookHandler | undefined;
  uploads: onRequestHookHandler | undefined;
  chunks: onRequestHookHandler | undefined;
  webhooks: onRequestHookHandler | undefined;
}

export const NO_RATE_LIMITS: RateLimitHooks = { login: undefined, sends: undefined, uploads: undefined, chunks: undefined, webhooks: undefined };

export function rateLimitHooks(limiter: RateLimiter, policies: RateLimitPolicies): RateLimitHooks {
  const { loginAddress, loginUsername } = policies;
  const loginPolicies = [loginAddress, loginUsername].filter((policy) => policy !== undefined);
  const login: preHandlerAsyncHookHandler | undefined =
    loginPolicies.length > 0
      ? async (request: FastifyRequest, reply: FastifyReply) => {
          // Every attempt counts, right or wrong, before its password is checked: a flood of guesses at one account
          // is refused without a bcrypt hash each, and other usernames keep their own counts.
          // The account a grant names: a password grant's user, a client credentials grant's client (Basic ones are
          // counted by address only); a refresh grant names none.
          const { username, client_id: clientId } = request.body as { username?: string; client_id?: string };
          const account = username ?? (clientId === undefined ? undefined : `client:${clientId}`);
          const outcomes = await Promise.all([
            loginAddress && limiter.check(loginAddress, request.ip),
            loginUsername && account !== undefined && limiter.check(loginUsername, account),
          ]);
          const refusal = limit(reply, outcomes.filter((outcome): outcome is RateLimitDecision => !!outcome));
          if (refusal) throw refusal;
        }
      : undefined;
  return {
    login,
    sends: perUser(limiter, policies.sends),
    uploads: perUser(limiter, policies.uploads),
    chunks: perUser(limiter, policies.chunks),
    webhooks: perUser(limiter, policies.webhooks),
  };
}

/**
 * A per-user limit as a callback hook, not an async one: the send path is the hot one, and with counters in memory
 * the decision is there at once, so it costs no promise and no extra turn of the event loop.
 */
function perUser(limiter: RateLimiter, policy: RateLimitPolicy | undefined): onRequestHookHandler | undefined {
  if (!policy) return undefined;
  const policyField = rateLimitPolicyField([policy]);
  const answer = (reply: FastifyReply, decision: RateLimitDecision | undefined) => decision && limit(reply, [decision], policyField);
  return (request, reply, done) => {
    const outcome = limiter.check(policy, request.caller.userId);
    if (outcome instanceof Promise) outcome.then((decision) => done(answer(reply, decision)), done);
    else done(answer(reply, outcome));
  };
}

/**
 * Says where the request stands on each limit that counted it, and returns the refusal (429 with Retry-After) when
 * it is over one. A limit whose counter could not be reached is left out: the request passes unchecked.
 */
function limit(
  reply: FastifyReply,
  decisions: readonly RateLimitDecision[],
  policyField = rateLimitPolicyField(decisions.map((decision) => decision.policy)),
): DomainError | undefined {
  if (decisions.length === 0) return undefined;
  reply.header('ratelimit-policy', policyField).header('ratelimit', rateLimitField(decisions));
  const refusing = refusingLimit(decisions);
  if (!refusing) return undefined;
  reply.header('retry-after', String(refusing.resetSeconds));
  return rateLimitedError(refusing);
}
