import { DomainError, ErrorCodes } from '../domain/errors.ts';
import type { ChannelIdentity, IdentityStore } from '../ports/identity-store.ts';

/** Users link their address on each channel (one per channel), so the hub knows them there. */
export class Identities {
  readonly #identities: IdentityStore;
  readonly #channels: readonly string[];

  constructor(identities: IdentityStore, registeredChannels: readonly string[]) {
    this.#identities = identities;
    this.#channels = registeredChannels;
  }

  /** `created` is false when the same link existed already (a repeat is harmless). */
  async link(userId: string, channel: string, address: string): Promise<{ identity: ChannelIdentity; created: boolean }> {
    this.#assertChannel(channel);
    const before = (await this.#identities.list(userId)).find((i) => i.channel === channel && i.address === address);
    if (before) return { identity: before, created: false };
    const outcome = await this.#identities.link(userId, channel, address);
    if (outcome.kind === 'address_taken') {
      throw new DomainError(ErrorCodes.IDENTITY_TAKEN, `${channel} address ${address} is linked to another user`, {
        address: ['is linked to another user'],
      });
    }
    return { identity: outcome.identity, created: true };
  }

  list(userId: string): Promise<ChannelIdentity[]> {
    return this.#identities.list(userId);
  }

  async unlink(userId: string, channel: string): Promise<void> {
    if (!(await this.#identities.unlink(userId, channel))) {
      throw new DomainError(ErrorCodes.IDENTITY_NOT_FOUND, `You have no ${channel} address linked`);
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
