import { randomUUID } from 'node:crypto';
import { DomainError, ErrorCodes } from '../domain/errors.ts';
import { judgeRefresh } from '../domain/refresh-rules.ts';
import type { Scope } from '../domain/scopes.ts';
import type { SessionStore, StoredRefreshToken } from '../ports/session-store.ts';
import { newSecret, secretHash } from './opaque-secrets.ts';
import type { RevokedSessions } from './revoked-sessions.ts';
import type { AccessClaims, Principal, TokenCodec } from './token-codec.ts';

/** What a token request answers: an access token, and for a password sign-in the refresh token of its family. */
export interface Grant extends Principal {
  accessToken: string;
  expiresAt: Date;
  expiresIn: number;
  scopes: Scope[];
  refreshToken?: string;
  refreshExpiresAt?: Date;
  refreshExpiresIn?: number;
}

/** Refresh tokens say what they are, so a leaked one is recognised. */
const REFRESH_TOKEN_PREFIX = 'c4r_';

/**
 * Sessions: each sign-in opens one, and every access token it issues names it (`sid`). Ending a session (logout,
 * revocation, a refresh token used twice, its user or client disabled) refuses all of its access tokens at once in
 * this process and within a poll interval in every other (RevokedSessions), and its refresh tokens for good.
 */
export class Sessions {
  readonly #store: SessionStore;
  readonly #tokens: TokenCodec;
  readonly #revoked: RevokedSessions;
  readonly #refreshTtlSeconds: number;

  constructor(store: SessionStore, tokens: TokenCodec, revoked: RevokedSessions, refreshTtlSeconds: number) {
    this.#store = store;
    this.#tokens = tokens;
    this.#revoked = revoked;
    this.#refreshTtlSeconds = refreshTtlSeconds;
  }

  /** Opens a session for `principal`; `refreshable` gives it a refresh-token family. USER_DISABLED if it was disabled meanwhile. */
  async open(principal: Principal, scopes: readonly Scope[], options: { refreshable: boolean }, now = new Date()): Promise<Grant> {
    const sessionId = randomUUID();
    const access = this.#tokens.issue(principal, { sessionId, scopes }, now);
    const refresh = options.refreshable ? this.#newRefreshToken(now) : undefined;
    const opened = await this.#store.open({
      sessionId,
      ...(principal.userId === undefined ? {} : { userId: principal.userId }),
      ...(principal.clientId === undefined ? {} : { clientId: principal.clientId }),
      scopes,
      accessExpiresAt: access.claims.expiresAt,
      ...(refresh ? { refresh: refresh.stored } : {}),
    });
    if (!opened) throw new DomainError(ErrorCodes.USER_DISABLED, 'The account was disabled');
    return this.#grant(access, refresh, now);
  }

  /** Spends a refresh token for the next one of its family and a new access token (see judgeRefresh). */
  async refresh(refreshToken: string, now = new Date()): Promise<Grant> {
    let outcome: { error: DomainError } | { grant: Grant } | undefined;
    const ended = await this.#store.rotate(secretHash(refreshToken), (found) => {
      const verdict = judgeRefresh(found, now);
      if (verdict.kind !== 'rotate') {
        outcome = { error: verdict.error };
        return { kind: verdict.kind === 'reuse' ? 'end-session' : 'nothing' };
      }
      const principal = { ...(found!.userId === undefined ? {} : { userId: found!.userId, username: found!.username! }) };
      const access = this.#tokens.issue(principal, { sessionId: found!.sessionId, scopes: found!.scopes }, now);
      const next = this.#newRefreshToken(now);
      outcome = { grant: this.#grant(access, next, now) };
      return { kind: 'rotate', next: next.stored, accessExpiresAt: access.claims.expiresAt };
    });
    this.#revoked.add(ended);
    if (!outcome) throw new Error('rotate did not decide');
    if ('error' in outcome) throw outcome.error;
    return outcome.grant;
  }

  /**
   * RFC 7009: ends the session of an access token or of a refresh token (access tokens are tried first: they are
   * self-describing). A token that is neither, or already dead, changes nothing, and says nothing either.
   */
  async revoke(token: string, now = new Date()): Promise<void> {
    let sessionId: string | undefined;
    try {
      sessionId = this.#tokens.verify(token, now).sessionId;
    } catch {
      sessionId = await this.#store.sessionOf(secretHash(token));
    }
    if (sessionId !== undefined) await this.end(sessionId);
  }

  /** Ends one session: logout. */
  async end(sessionId: string): Promise<void> {
    this.#revoked.add(await this.#store.end([sessionId]));
  }

  /** An access token's claims, once its signature and expiry are checked and its session is not ended: no database round trip. */
  verify(token: string, now = new Date()): AccessClaims {
    const claims = this.#tokens.verify(token, now);
    if (this.#revoked.has(claims.sessionId)) {
      throw new DomainError(ErrorCodes.TOKEN_REVOKED, 'The access token was revoked: its session ended (signed out, or the account or client was disabled)');
    }
    return claims;
  }

  /** Calls `onEnded` if the session is ended while something (a WebSocket) lives on its token; returns the function that stops watching. */
  watch(sessionId: string, onEnded: () => void): () => void {
    return this.#revoked.watch(sessionId, onEnded);
  }

  #newRefreshToken(now: Date): { token: string; stored: StoredRefreshToken } {
    const token = newSecret(REFRESH_TOKEN_PREFIX);
    return { token, stored: { tokenHash: secretHash(token), expiresAt: new Date(now.getTime() + this.#refreshTtlSeconds * 1000) } };
  }

  #grant(access: { token: string; claims: AccessClaims }, refresh: { token: string; stored: StoredRefreshToken } | undefined, now: Date): Grant {
    const { claims } = access;
    return {
      ...(claims.userId === undefined ? {} : { userId: claims.userId, username: claims.username! }),
      ...(claims.clientId === undefined ? {} : { clientId: claims.clientId }),
      accessToken: access.token,
      expiresAt: claims.expiresAt,
      expiresIn: this.#tokens.ttlSeconds,
      scopes: claims.scopes,
      ...(refresh
        ? {
            refreshToken: refresh.token,
            refreshExpiresAt: refresh.stored.expiresAt,
            refreshExpiresIn: Math.round((refresh.stored.expiresAt.getTime() - now.getTime()) / 1000),
          }
        : {}),
    };
  }
}
