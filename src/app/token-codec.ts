import { createHash, createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { DomainError, ErrorCodes } from '../domain/errors.ts';
import { isScope, scopeText, type Scope } from '../domain/scopes.ts';

/** Who a token acts for. */
export interface Principal {
  /** The user it acts for: who signed in with a password, or the service user a client acts as. */
  userId?: string;
  username?: string;
  /** The client that obtained it with its credentials. */
  clientId?: string;
}

/** What an access token says: who, for which session (`sid`), with which scopes, and when. */
export interface AccessClaims extends Principal {
  /** The session (for a password sign-in, the refresh-token family) it belongs to: ending that refuses it. */
  sessionId: string;
  scopes: Scope[];
  issuedAt: Date;
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

  /**
   * The token is valid for at least the configured lifetime: its expiry is rounded up to the second. Its claims are
   * `sub` (the user, or for a client acting as nobody the client, as RFC 9068 says), `name` (the username, only
   * when it acts for a user), `cid` (the client), `sid`, `scope` (space-separated), `iat` and `exp`.
   */
  issue(principal: Principal, session: { sessionId: string; scopes: readonly Scope[] }, now = new Date()): { token: string; claims: AccessClaims } {
    const payload: Payload = {
      sub: principal.userId ?? principal.clientId!,
      ...(principal.username === undefined ? {} : { name: principal.username }),
      ...(principal.clientId === undefined ? {} : { cid: principal.clientId }),
      sid: session.sessionId,
      scope: scopeText(session.scopes),
      iat: Math.floor(now.getTime() / 1000),
      exp: Math.ceil(now.getTime() / 1000) + this.#ttlSeconds,
    };
    const { header } = this.#current;
    const body = base64url(JSON.stringify(payload));
    const token = `${header}.${body}.${sign(this.#current, `${header}.${body}`)}`;
    return { token, claims: claimsOf(payload) };
  }

  verify(token: string, now = new Date()): AccessClaims {
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

/** The claims as the hub writes them. */
interface Payload {
  sub: string;
  name?: string;
  cid?: string;
  sid: string;
  scope: string;
  iat: number;
  exp: number;
}

function claimsOf(payload: Payload): AccessClaims {
  return {
    // `name` marks a token that acts for a user; without it, `sub` is the client's id.
    ...(payload.name === undefined ? {} : { userId: payload.sub, username: payload.name }),
    ...(payload.cid === undefined ? {} : { clientId: payload.cid }),
    sessionId: payload.sid,
    scopes: payload.scope.split(' ').filter(isScope),
    issuedAt: new Date(payload.iat * 1000),
    expiresAt: new Date(payload.exp * 1000),
  };
}

/** A token without a session or scope (one issued before sessions existed) is as bad as a forged one: sign in again. */
function parseClaims(body: string): AccessClaims {
  try {
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    const { sub, name, cid, sid, scope, iat, exp } = payload ?? {};
    const optionalText = (value: unknown) => value === undefined || typeof value === 'string';
    const actsForSomeone = typeof name === 'string' || (typeof cid === 'string' && cid === sub);
    if (
      typeof sub === 'string' &&
      optionalText(name) &&
      optionalText(cid) &&
      actsForSomeone &&
      typeof sid === 'string' &&
      typeof scope === 'string' &&
      typeof iat === 'number' &&
      typeof exp === 'number'
    ) {
      return claimsOf(payload as Payload);
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
