import { DomainError, ErrorCodes } from './errors.ts';

/**
 * What an access token may do. `chat`: act as its user on every /v1 route but the admin API (password sign-ins
 * get it; a client gets it only when it acts as a service user). `admin`: the admin API under /v1/admin (clients
 * only: no password sign-in is ever an administrator).
 */
export const SCOPES = ['chat', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const isScope = (name: string): name is Scope => (SCOPES as readonly string[]).includes(name);

/** OAuth's `scope` parameter: names separated by spaces (RFC 6749 §3.3), as the token's `scope` claim writes them. */
export function scopeText(scopes: readonly Scope[]): string {
  return scopes.join(' ');
}

/** The scopes a token request asks for: every one the client has when it names none; more is INVALID_SCOPE. */
export function grantedScopes(requested: string | undefined, allowed: readonly Scope[]): Scope[] {
  if (requested === undefined || requested.trim() === '') return [...allowed];
  const names = [...new Set(requested.trim().split(/ +/))];
  const refused = names.filter((name) => !isScope(name) || !allowed.includes(name));
  if (refused.length > 0) {
    throw new DomainError(ErrorCodes.INVALID_SCOPE, `scope ${refused.join(' ')} is not granted to this client; it has: ${scopeText(allowed)}`);
  }
  return SCOPES.filter((scope) => names.includes(scope));
}

/**
 * A client's scopes, as the CLI names them ("admin,chat"): known names only, and `chat` only for a client that acts
 * as a user, since a chat token is always some user's.
 */
export function clientScopes(names: readonly string[], actsAsUser: boolean): Scope[] {
  const unknown = names.filter((name) => !isScope(name));
  if (unknown.length > 0) throw new DomainError(ErrorCodes.VALIDATION_FAILED, `unknown scope ${unknown.join(', ')}; scopes: ${SCOPES.join(', ')}`);
  if (names.length === 0) throw new DomainError(ErrorCodes.VALIDATION_FAILED, `a client needs at least one scope: ${SCOPES.join(', ')}`);
  if (names.includes('chat') && !actsAsUser) {
    throw new DomainError(ErrorCodes.VALIDATION_FAILED, 'the chat scope acts as a user: name the service user the client acts as');
  }
  return SCOPES.filter((scope) => names.includes(scope));
}
