import { DomainError, ErrorCodes } from './errors.ts';

/** What the store knows about a refresh token presented for rotation, read under its row lock. */
export interface RefreshTokenState {
  /** Already exchanged for a newer one. */
  spent: boolean;
  expiresAt: Date;
  /** Its session (the token family) was ended: logout, revocation, reuse, or its user or client disabled. */
  sessionRevoked: boolean;
  /** The user the session acts for is still active. */
  userActive: boolean;
}

/** `rotate`: spend it and issue the next one; `reuse`: end the whole family; `refuse`: answer the error, change nothing. */
export type RefreshVerdict = { kind: 'rotate' } | { kind: 'reuse'; error: DomainError } | { kind: 'refuse'; error: DomainError };

const invalid = (detail: string) => new DomainError(ErrorCodes.REFRESH_TOKEN_INVALID, detail);

/**
 * Rotation with reuse detection. A refresh token works once: using it spends it and issues the next of its family.
 * A spent token presented again means two parties hold the family (a thief, or a client that lost an answer): the
 * family is ended, so the newest tokens, whoever holds them, stop working at once and the user signs in again.
 */
export function judgeRefresh(state: RefreshTokenState | undefined, now: Date): RefreshVerdict {
  if (!state) return { kind: 'refuse', error: invalid('The refresh token is not known') };
  if (!state.userActive) return { kind: 'refuse', error: new DomainError(ErrorCodes.USER_DISABLED, 'The account was disabled') };
  if (state.sessionRevoked) return { kind: 'refuse', error: invalid('The session of this refresh token has ended; sign in again') };
  if (state.spent) {
    return { kind: 'reuse', error: invalid('The refresh token was already used: its session is ended for safety; sign in again') };
  }
  if (state.expiresAt.getTime() <= now.getTime()) return { kind: 'refuse', error: invalid('The refresh token has expired; sign in again') };
  return { kind: 'rotate' };
}
