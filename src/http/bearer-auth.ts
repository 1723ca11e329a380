import type { FastifyRequest } from 'fastify';
import type { Sessions } from '../app/sessions.ts';
import type { AccessClaims } from '../app/token-codec.ts';
import { DomainError, ErrorCodes } from '../domain/errors.ts';
import type { Scope } from '../domain/scopes.ts';

/** The user a chat-scoped request acts for. */
export type Caller = AccessClaims & { userId: string; username: string };

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified access token of a /v1 request (or of a logout). */
    credentials: AccessClaims;
    /** The user a /v1 request acts for, once requireScope('chat') let it through. */
    caller: Caller;
  }
}

/** The subprotocol a WebSocket client names before its token: `Sec-WebSocket-Protocol: bearer, <token>`. */
export const BEARER_SUBPROTOCOL = 'bearer';

/**
 * An onRequest hook: runs before the body is read, so an anonymous caller learns nothing about its input.
 * Browsers cannot set headers on a WebSocket, so an upgrade may carry the token in the `token` query parameter
 * or as the subprotocol after "bearer". An HMAC and a map lookup (ended sessions): no database round trip.
 */
export function bearerAuth(sessions: Sessions) {
  return async (request: FastifyRequest): Promise<void> => {
    const token = fromHeader(request) ?? (request.headers.upgrade?.toLowerCase() === 'websocket' ? fromUpgrade(request) : undefined);
    if (token === undefined) {
      throw new DomainError(
        ErrorCodes.TOKEN_MISSING,
        'Send an access token in the Authorization header: Bearer <token> (get one at POST /auth/token)',
      );
    }
    request.credentials = sessions.verify(token);
  };
}

/**
 * An onRequest hook after bearerAuth: refuses a token without `scope` (403 INSUFFICIENT_SCOPE, as RFC 6750 says).
 * The chat scope always comes with a user, whom `request.caller` then names.
 */
export function requireScope(scope: Scope) {
  return async (request: FastifyRequest): Promise<void> => {
    const { credentials } = request;
    const granted = credentials.scopes.includes(scope) && (scope !== 'chat' || credentials.userId !== undefined);
    if (!granted) {
      throw new DomainError(ErrorCodes.INSUFFICIENT_SCOPE, `This route needs the ${scope} scope; the token has: ${credentials.scopes.join(' ') || 'none'}`);
    }
    if (scope === 'chat') request.caller = credentials as Caller;
  };
}

function fromHeader(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  return (header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header))?.[1];
}

function fromUpgrade(request: FastifyRequest): string | undefined {
  const query = (request.query ?? {}) as Record<string, unknown>;
  if (typeof query.token === 'string' && query.token) return query.token;
  const protocols = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim());
  const at = protocols.indexOf(BEARER_SUBPROTOCOL);
  return at >= 0 ? protocols[at + 1] || undefined : undefined;
}
