import type { FastifyRequest } from 'fastify';
import type { TokenClaims, TokenCodec } from '../app/token-codec.ts';
import { DomainError, ErrorCodes } from '../domain/errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user of a /v1 request. */
    caller: TokenClaims;
  }
}

/** The subprotocol a WebSocket client names before its token: `Sec-WebSocket-Protocol: bearer, <token>`. */
export const BEARER_SUBPROTOCOL = 'bearer';

/**
 * An onRequest hook: runs before the body is read, so an anonymous caller learns nothing about its input.
 * Browsers cannot set headers on a WebSocket, so an upgrade may carry the token in the `token` query parameter
 * or as the subprotocol after "bearer".
 */
export function bearerAuth(tokens: TokenCodec) {
  return async (request: FastifyRequest): Promise<void> => {
    const token = fromHeader(request) ?? (request.headers.upgrade?.toLowerCase() === 'websocket' ? fromUpgrade(request) : undefined);
    if (token === undefined) {
      throw new DomainError(
        ErrorCodes.TOKEN_MISSING,
        'Send an access token in the Authorization header: Bearer <token> (get one at POST /auth/token)',
      );
    }
    request.caller = tokens.verify(token);
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
