/** A user's address on one channel. */
export interface ChannelIdentity {
  channel: string;
  address: string;
  userId: string;
  createdAt: Date;
}

export type LinkOutcome =
  | { kind: 'linked'; identity: ChannelIdentity; replaced: boolean }
  | { kind: 'address_taken' };

export interface IdentityStore {
  /** Links the address to the user on that channel, replacing the user's earlier address there. */
  link(userId: string, channel: string, address: string): Promise<LinkOutcome>;
  list(userId: string): Promise<ChannelIdentity[]>;
  /** false when the user had no address on that channel */
  unlink(userId: string, channel: string): Promise<boolean>;
  /** Who owns an address on a channel. */
  ownerOf(channel: string, address: string): Promise<string | undefined>;
  /** The addresses of these users on one channel; users without one are left out. */
  addressesOn(channel: string, userIds: readonly string[]): Promise<Map<string, string>>;
  /** The channels each of these users has an address on. */
  channelsOf(userIds: readonly string[]): Promise<Map<string, string[]>>;
}
