import type { RefreshTokenState } from '../domain/refresh-rules.ts';
import type { Scope } from '../domain/scopes.ts';

/** A session that was ended, and until when its access tokens would still have been good. */
export interface RevokedSession {
  sessionId: string;
  /** When the last access token issued for it expires: it need not be remembered after that. */
  expiresAt: Date;
}

/** A refresh token as stored: its SHA-256, never the token itself. */
export interface StoredRefreshToken {
  tokenHash: string;
  expiresAt: Date;
}

export interface NewSession {
  sessionId: string;
  userId?: string;
  clientId?: string;
  scopes: readonly Scope[];
  accessExpiresAt: Date;
  /** The first token of its refresh family; none for a client's session (RFC 6749 §4.4.3). */
  refresh?: StoredRefreshToken;
}

/** A refresh token presented for rotation, with its session and who that acts for. */
export interface PresentedRefreshToken extends RefreshTokenState {
  sessionId: string;
  userId: string | undefined;
  username: string | undefined;
  clientId: string | undefined;
  scopes: Scope[];
}

/** What a rotation does, decided while the token's row is locked. */
export type RotationPlan =
  | { kind: 'rotate'; next: StoredRefreshToken; accessExpiresAt: Date }
  | { kind: 'end-session' }
  | { kind: 'nothing' };

/** Sessions, their refresh tokens, and the log of ended sessions every API process follows. */
export interface SessionStore {
  /**
   * Records a session, unless its user or client was disabled since it was checked (false then): the check holds a
   * lock that a disable waits for, so no session is opened for a disabled account.
   */
  open(session: NewSession): Promise<boolean>;
  /**
   * Locks the refresh token's row and its session's, asks `decide` what to do with what it found, and does that in
   * the same transaction: two uses of one token are taken one after the other. Returns the sessions it ended.
   */
  rotate(tokenHash: string, decide: (found: PresentedRefreshToken | undefined) => RotationPlan): Promise<RevokedSession[]>;
  /** The session a refresh token belongs to, spent or not. */
  sessionOf(tokenHash: string): Promise<string | undefined>;
  /** Ends sessions (idempotent: one already ended is not logged again); returns those it ended. */
  end(sessionIds: readonly string[]): Promise<RevokedSession[]>;
  /** Ended sessions logged after `cursor` (0: all), oldest first, at most `limit`, and the cursor after them. */
  endedAfter(cursor: number, limit: number): Promise<{ sessions: RevokedSession[]; cursor: number }>;
  /** Forgets what has expired: revocations, refresh tokens, and sessions with neither tokens nor a refresh token left. */
  prune(now: Date): Promise<void>;
}
