import { createHash, createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { DomainError, ErrorCodes } from '../domain/errors.ts';

export interface TokenClaims {
  userId: string;
  username: string;
  expiresAt: Date;
}

/** One signing key and the exact JWT header the hub writes for it. */
interface TokenKey {
  kid: string;
  header: string;
  /** A key object made once: given raw bytes, every HMAC imports them again (3 % of a one-process hub's CPU). */
  secret: KeyObject;
}

/**
 * Bearer tokens are HS256 JWTs signed with a secret every process shares, so checking one costs an HMAC
 * and no database round trip.
 *
 * Keys rotate: the current secret signs, previous ones still verify. Each token names its key in the header's
 * `kid`, derived from the key itself so nobody has to configure ids, and verification uses that key alone.
 */
export class TokenCodec {
  readonly #current: TokenKey;
  /** By the exact header text: a header the hub did not write (another alg, no kid, an unknown kid) finds nothing. */
  readonly #byHeader: Map<string, TokenKey>;
  readonly #ttlSeconds: number;

  constructor(secret: string, ttlSeconds: number, previousSecrets: readonly string[] = []) {
    this.#current = tokenKey(secret);
    this.#byHeader = new Map([this.#current, ...previousSecrets.map(tokenKey)].map((key) => [key.header, key]));
    // Keeps the current key if a previous one equals it.
    this.#byHeader.set(this.#current.header, this.#current);
    this.#ttlSeconds = ttlSeconds;
  }

  get ttlSeconds(): number {
    return this.#ttlSeconds;
  }

  /** The `kid` tokens are issued with now. */
  get keyId(): string {
    return this.#current.kid;
  }

  /** The token is valid for at least the configured lifetime: its expiry is rounded up to the second. */
  issue(userId: string, username: string, now = new Date()): { token: string; claims: TokenClaims } {
    const issuedAt = Math.floor(now.getTime() / 1000);
    const exp = Math.ceil(now.getTime() / 1000) + this.#ttlSeconds;
    const { header } = this.#current;
    const body = base64url(JSON.stringify({ sub: userId, name: username, iat: issuedAt, exp }));
    const token = `${header}.${body}.${sign(this.#current, `${header}.${body}`)}`;
    return { token, claims: { userId, username, expiresAt: new Date(exp * 1000) } };
  }

  verify(token: string, now = new Date()): TokenClaims {
    const [header, body, signature, extra] = token.split('.');
    const key = header === undefined ? undefined : this.#byHeader.get(header);
    if (!key || !body || !signature || extra !== undefined) throw invalid();
    const expected = Buffer.from(sign(key, `${header}.${body}`));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid();
    const claims = parseClaims(body);
    if (claims.expiresAt.getTime() <= now.getTime()) {
      throw new DomainError(ErrorCodes.TOKEN_EXPIRED, 'The access token has expired; request a new one at POST /auth/token');
    }
    return claims;
  }
}

/**
 * A key's id: the first 8 bytes of its SHA-256, base64url. It tells keys apart and reveals nothing usable about a
 * strong key (a token already allows offline guessing of a weak one).
 */
export function keyId(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest().subarray(0, 8).toString('base64url');
}

function tokenKey(secret: string): TokenKey {
  const kid = keyId(secret);
  return { kid, header: base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid })), secret: createSecretKey(Buffer.from(secret, 'utf8')) };
}

function sign(key: TokenKey, input: string): string {
  return createHmac('sha256', key.secret).update(input).digest('base64url');
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
