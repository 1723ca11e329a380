import type { RateLimitDecision, RateLimitPolicy } from '../domain/rate-limits.ts';

/**
 * The RateLimit-Policy and RateLimit response fields of draft-ietf-httpapi-ratelimit-headers (the form of drafts -08
 * to -10): Structured Field lists with one item per limit that applied, named by the limit, e.g.
 *   RateLimit-Policy: "sends";q=3000;w=60
 *   RateLimit: "sends";r=2999;t=60
 * q is the quota and w the window in seconds; r the quota left and t the seconds until it is whole again.
 */
export function rateLimitPolicyField(policies: readonly RateLimitPolicy[]): string {
  return policies.map((policy) => `${sfString(policy.name)};q=${policy.quota};w=${policy.windowSeconds}`).join(', ');
}

export function rateLimitField(decisions: readonly RateLimitDecision[]): string {
  return decisions.map(({ policy, remaining, resetSeconds }) => `${sfString(policy.name)};r=${remaining};t=${resetSeconds}`).join(', ');
}

/** An RFC 9651 sf-string: quoted, with `"` and `\` escaped. */
export function sfString(text: string): string {
  return `"${text.replace(/["\\]/g, '\\$&')}"`;
}
