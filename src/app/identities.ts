import { randomInt } from 'node:crypto';
import { DomainError, ErrorCodes } from '../domain/errors.ts';
import {
  checkCode,
  CODE_DIGITS,
  codeHash,
  isPending,
  openClaim,
  resendWaitSeconds,
  type ClaimPolicy,
  type IdentityClaim,
} from '../domain/identity-claims.ts';
import { verificationCodeTopic, type VerificationCodeEvent } from '../domain/verification-codes.ts';
import type { ChannelIdentity, IdentityStore } from '../ports/identity-store.ts';

/** An address as its user sees it: verified, or claimed and waiting for the code sent there. */
export type IdentityState = { status: 'verified'; identity: ChannelIdentity } | { status: 'pending'; claim: IdentityClaim };

export interface IdentitySettings {
  policy: ClaimPolicy;
  /** The hub's key for hashing codes (codeHash); the same in every process. */
  codeKey: string;
}

type Settled =
  | { kind: 'verified' }
  | { kind: 'wrong'; claim: IdentityClaim; attemptsLeft: number }
  | { kind: 'taken' | 'expired'; claim: IdentityClaim }
  | { kind: 'over' | 'none' };

/**
 * Users link their address on each channel (one per channel) by proving they own it: a claim has the hub send a
 * code through that channel to that address (its connector does, as it sends messages), and only the code coming
 * back links it. Until then nothing is routed by the address. An address someone verified stays theirs; claims do
 * not block each other, the first to verify wins.
 */
export class Identities {
  readonly #identities: IdentityStore;
  readonly #channels: readonly string[];
  readonly #settings: IdentitySettings;

  constructor(identities: IdentityStore, registeredChannels: readonly string[], settings: IdentitySettings) {
    this.#identities = identities;
    this.#channels = registeredChannels;
    this.#settings = settings;
  }

  /**
   * Claims an address and has a new code sent there (pending), replacing the caller's earlier claim on that
   * channel; an address the caller has verified already is answered as it is (nothing sent).
   */
  async claim(userId: string, channel: string, address: string): Promise<IdentityState> {
    this.#assertChannel(channel);
    const { policy, codeKey } = this.#settings;
    const code = randomInt(10 ** CODE_DIGITS).toString().padStart(CODE_DIGITS, '0');
    const now = new Date();
    return this.#identities.claim<IdentityState>(userId, channel, address, ({ linked, previous }) => {
      if (linked?.userId === userId) return { result: { status: 'verified', identity: linked } };
      if (linked) throw taken(channel, address);
      const wait = resendWaitSeconds(policy, previous, now);
      if (wait > 0) {
        throw new DomainError(
          ErrorCodes.IDENTITY_CODE_THROTTLED,
          `A code went out for your ${channel} claim less than ${policy.resendSeconds} s ago: claim again in ${wait} s`,
          undefined,
          { retry_after_seconds: wait },
        );
      }
      const claim = openClaim(policy, { userId, channel, address, codeHash: codeHash(codeKey, { userId, channel, address }, code) }, now);
      const value: VerificationCodeEvent = { user_id: userId, address, code, expires_at: claim.expiresAt.toISOString() };
      return { result: { status: 'pending', claim }, open: { claim, record: { topic: verificationCodeTopic(channel), key: userId, value } } };
    });
  }

  /** Verifies the caller's claim on a channel with the code sent for it: the claimed address becomes their identity. */
  async verify(userId: string, channel: string, code: string): Promise<ChannelIdentity> {
    const now = new Date();
    const settled = await this.#identities.settle<Settled>(userId, channel, (scene) => {
      if (!scene) return { result: { kind: 'none' } };
      const { claim, owner } = scene;
      const check = checkCode(claim, codeHash(this.#settings.codeKey, claim, code), now);
      if (check.kind === 'wrong') return { result: { ...check, claim }, write: { attemptsLeft: check.attemptsLeft, link: false } };
      if (check.kind !== 'match') return { result: check.kind === 'expired' ? { kind: 'expired', claim } : check };
      // Proven, but someone else proved it first: this claim is over.
      if (owner !== undefined && owner !== userId) return { result: { kind: 'taken', claim }, write: { attemptsLeft: 0, link: false } };
      return { result: { kind: 'verified' }, write: { attemptsLeft: 0, link: true } };
    });
    switch (settled.kind) {
      case 'verified': {
        const identity = (await this.#identities.list(userId)).find((linked) => linked.channel === channel);
        // Unlinked at once by a concurrent request of the user's own: say so rather than answer what is gone.
        if (!identity) throw new DomainError(ErrorCodes.IDENTITY_NOT_FOUND, `You have no ${channel} address linked`);
        return identity;
      }
      case 'taken':
        throw taken(channel, settled.claim.address);
      case 'wrong': {
        const left = settled.attemptsLeft > 0 ? `${settled.attemptsLeft} attempts left` : 'no attempts left: claim the address again for a new code';
        const message = `does not match the code sent to ${settled.claim.address}; ${left}`;
        throw new DomainError(ErrorCodes.IDENTITY_CODE_INVALID, `code: ${message}`, { code: [message] }, { attempts_left: settled.attemptsLeft });
      }
      case 'expired':
        throw new DomainError(
          ErrorCodes.IDENTITY_CODE_EXPIRED,
          `The code sent to ${settled.claim.address} expired at ${settled.claim.expiresAt.toISOString()}: claim the address again for a new code`,
          undefined,
          { expired_at: settled.claim.expiresAt.toISOString() },
        );
      case 'over':
        throw new DomainError(
          ErrorCodes.IDENTITY_CLAIM_NOT_FOUND,
          `Your ${channel} claim is over (verified, withdrawn or out of attempts): claim the address again for a new code`,
        );
      case 'none':
        throw new DomainError(ErrorCodes.IDENTITY_CLAIM_NOT_FOUND, `You have claimed no ${channel} address`);
    }
  }

  /** The caller's verified identities and pending claims, by channel (a channel may have one of each). */
  async list(userId: string): Promise<IdentityState[]> {
    const now = new Date();
    const [identities, claims] = await Promise.all([this.#identities.list(userId), this.#identities.claimsOf(userId)]);
    const states: IdentityState[] = [
      ...identities.map((identity) => ({ status: 'verified', identity }) as const),
      ...claims.filter((claim) => isPending(claim, now)).map((claim) => ({ status: 'pending', claim }) as const),
    ];
    const channelOf = (state: IdentityState) => (state.status === 'verified' ? state.identity.channel : state.claim.channel);
    return states.sort((a, b) => channelOf(a).localeCompare(channelOf(b)));
  }

  /** Unlinks the caller's verified address on a channel and withdraws their pending claim there. */
  async unlink(userId: string, channel: string): Promise<void> {
    const now = new Date();
    const unlinked = await this.#identities.unlink(userId, channel);
    // Withdrawn, not deleted: the time its code went out still holds back the next one.
    const withdrawn = await this.#identities.settle(userId, channel, (scene) =>
      scene && isPending(scene.claim, now) ? { result: true, write: { attemptsLeft: 0, link: false } } : { result: false },
    );
    if (!unlinked && !withdrawn) {
      throw new DomainError(ErrorCodes.IDENTITY_NOT_FOUND, `You have no ${channel} address linked or claimed`);
    }
  }

  #assertChannel(channel: string): void {
    if (!this.#channels.includes(channel)) {
      throw new DomainError(ErrorCodes.VALIDATION_FAILED, `channel: must be one of ${this.#channels.join(', ')}`, {
        channel: [`must be one of ${this.#channels.join(', ')}`],
      });
    }
  }
}

function taken(channel: string, address: string): DomainError {
  return new DomainError(ErrorCodes.IDENTITY_TAKEN, `${channel} address ${address} is linked to another user`, {
    address: ['is linked to another user'],
  });
}
