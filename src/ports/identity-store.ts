import type { IdentityClaim } from '../domain/identity-claims.ts';
import type { BusRecord } from './message-bus.ts';

/** A user's verified address on one channel: what routes their deliveries and inbound messages there. */
export interface ChannelIdentity {
  channel: string;
  address: string;
  userId: string;
  createdAt: Date;
}

/** What a new claim finds: the address's verified owner (the claimant or not), and the claimant's last claim on that channel. */
export interface ClaimScene {
  linked: ChannelIdentity | undefined;
  previous: IdentityClaim | undefined;
}

/** What a claim decides, and what it writes: the new claim, with the record that has its code sent. */
export interface ClaimDecision<T> {
  result: T;
  open?: { claim: IdentityClaim; record: BusRecord };
}

/** What settling a claim finds: the claim, and who has its address verified, if anyone. */
export interface SettleScene {
  claim: IdentityClaim;
  owner: string | undefined;
}

/** What settling a claim decides: the attempts it has left, and whether its address is now linked to its user. */
export interface SettleDecision<T> {
  result: T;
  write?: { attemptsLeft: number; link: boolean };
}

export interface IdentityStore {
  /**
   * Runs `decide` in a transaction that has the user's claims in turn, and writes the claim it opens (replacing the
   * user's earlier one on that channel) and its record together.
   */
  claim<T>(userId: string, channel: string, address: string, decide: (scene: ClaimScene) => ClaimDecision<T>): Promise<T>;
  /**
   * Runs `decide` on the user's claim on a channel (undefined when they never made one), locked, and writes what
   * it decides: its attempts left and, when `link`, the claimed address as the user's identity on that channel
   * (replacing their earlier one). Run again when another user's address got linked meanwhile.
   */
  settle<T>(userId: string, channel: string, decide: (scene: SettleScene | undefined) => SettleDecision<T>): Promise<T>;
  /** The user's claims, one per channel they ever claimed on, over or not. */
  claimsOf(userId: string): Promise<IdentityClaim[]>;
  /** The user's verified identities. */
  list(userId: string): Promise<ChannelIdentity[]>;
  /** false when the user had no address verified on that channel */
  unlink(userId: string, channel: string): Promise<boolean>;
  /** Who has an address verified on a channel. */
  ownerOf(channel: string, address: string): Promise<string | undefined>;
  /** The verified addresses of these users on one channel; users without one are left out. */
  addressesOn(channel: string, userIds: readonly string[]): Promise<Map<string, string>>;
  /** The channels each of these users has a verified address on. */
  channelsOf(userIds: readonly string[]): Promise<Map<string, string[]>>;
}
