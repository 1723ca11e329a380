import type { FastifyRequest } from 'fastify';
import type { TokenClaims, TokenCodec } from '../app/token-codec.ts';
import { DomainError, ErrorCodes } from '../domain/errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated user of a /v1 request. */
    caller: TokenClaims;
  }
}

/** An onRequest hook: runs before the body is read, so an anonymous caller learns nothing about its input. */
export function bearerAuth(tokens: TokenCodec) {
  return async (request: FastifyRequest): Promise<void> => {
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      throw new DomainError(
        ErrorCodes.TOKEN_MISSING,
        'Send an access token in the Authorization header: Bearer <token> (get one at POST /auth/token)',
      );
    }
    request.caller = tokens.verify(match[1]!);
  };
}
