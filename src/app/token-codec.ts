import { createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError, ErrorCodes } from '../domain/errors.ts';

export interface TokenClaims {
  userId: string;
  username: string;
  expiresAt: Date;
}

const HEADER = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

/**
 * Bearer tokens are HS256 JWTs signed with a secret every process shares, so checking one costs an HMAC
 * and no database round trip.
 */
export class TokenCodec {
  readonly #secret: Buffer;
  readonly #ttlSeconds: number;

  constructor(secret: string, ttlSeconds: number) {
    this.#secret = Buffer.from(secret, 'utf8');
    this.#ttlSeconds = ttlSeconds;
  }

  get ttlSeconds(): number {
    return this.#ttlSeconds;
  }

  /** The token is valid for at least the configured lifetime: its expiry is rounded up to the second. */
  issue(userId: string, username: string, now = new Date()): { token: string; claims: TokenClaims } {
    const issuedAt = Math.floor(now.getTime() / 1000);
    const exp = Math.ceil(now.getTime() / 1000) + this.#ttlSeconds;
    const body = base64url(JSON.stringify({ sub: userId, name: username, iat: issuedAt, exp }));
    const token = `${HEADER}.${body}.${this.#sign(`${HEADER}.${body}`)}`;
    return { token, claims: { userId, username, expiresAt: new Date(exp * 1000) } };
  }

  verify(token: string, now = new Date()): TokenClaims {
    const [header, body, signature, extra] = token.split('.');
    if (header !== HEADER || !body || !signature || extra !== undefined) throw invalid();
    const expected = Buffer.from(this.#sign(`${header}.${body}`));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
    const claims = parseClaims(body);
    if (claims.expiresAt.getTime() <= now.getTime()) {
      throw new DomainError(ErrorCodes.TOKEN_EXPIRED, 'The access token has expired; request a new one at POST /auth/token');
    }
    return claims;
  }

  #sign(input: string): string {
    return createHmac('sha256', this.#secret).update(input).digest('base64url');
  }
}

function parseClaims(body: string): TokenClaims {
  try {
    const { sub, name, exp } = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    if (typeof sub === 'string' && typeof name === 'string' && typeof exp === 'number') {
      return { userId: sub, username: name, expiresAt: new Date(exp * 1000) };
    }
  } catch {
    // fall through: a signed but unreadable body is as bad as a forged one
  }
  throw invalid();
}

function invalid(): DomainError {
  return new DomainError(ErrorCodes.TOKEN_INVALID, 'The access token is not valid');
}

function base64url(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url');
}
