import type { FastifyReply, FastifyRequest } from 'fastify';
import type { RateLimitPolicies, RateLimiter } from '../app/rate-limiter.ts';
import { rateLimitedError, refusingLimit, type RateLimitDecision, type RateLimitPolicy } from '../domain/rate-limits.ts';
import { rateLimitField, rateLimitPolicyField } from './rate-limit-fields.ts';

type Hook = (request: FastifyRequest, reply: FastifyReply) => Promise<void>;

/** The hooks of the limited routes; one whose limit is off is undefined (the route then has no hook at all). */
export interface RateLimitHooks {
  /** preHandler of POST /auth/token: per client address and per username, once the body is read. */
  login: Hook | undefined;
  /** onRequest hooks of /v1 routes, after authentication: per user, before the body is read. */
  sends: Hook | undefined;
  uploads: Hook | undefined;
  chunks: Hook | undefined;
  webhooks: Hook | undefined;
}

export const NO_RATE_LIMITS: RateLimitHooks = { login: undefined, sends: undefined, uploads: undefined, chunks: undefined, webhooks: undefined };

export function rateLimitHooks(limiter: RateLimiter, policies: RateLimitPolicies): RateLimitHooks {
  const perUser = (policy: RateLimitPolicy | undefined): Hook | undefined =>
    policy && (async (request, reply) => limit(reply, [await limiter.check(policy, request.caller.userId)]));
  const { loginAddress, loginUsername } = policies;
  const login: Hook | undefined =
    loginAddress || loginUsername
      ? async (request, reply) => {
          // Every attempt counts, right or wrong, before its password is checked: a flood of guesses at one account
          // is refused without a bcrypt hash each, and other usernames keep their own counts.
          const { username } = request.body as { username: string };
          limit(
            reply,
            await Promise.all([loginAddress && limiter.check(loginAddress, request.ip), loginUsername && limiter.check(loginUsername, username)]),
          );
        }
      : undefined;
  return { login, sends: perUser(policies.sends), uploads: perUser(policies.uploads), chunks: perUser(policies.chunks), webhooks: perUser(policies.webhooks) };
}

/**
 * Says where the request stands on each limit that counted it, and refuses it (429 with Retry-After) when it is over
 * one. A limit whose counter could not be reached is left out: the request passes unchecked.
 */
function limit(reply: FastifyReply, outcomes: ReadonlyArray<RateLimitDecision | undefined | false>): void {
  const decisions = outcomes.filter((outcome): outcome is RateLimitDecision => !!outcome);
  if (decisions.length === 0) return;
  reply.header('ratelimit-policy', rateLimitPolicyField(decisions)).header('ratelimit', rateLimitField(decisions));
  const refusing = refusingLimit(decisions);
  if (!refusing) return;
  reply.header('retry-after', String(refusing.resetSeconds));
  throw rateLimitedError(refusing);
}
