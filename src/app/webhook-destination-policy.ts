import { nonPublicRange } from '../domain/public-addresses.ts';
import type { HostResolver } from '../ports/host-resolver.ts';
import type { Destination, WebhookDestinations } from '../ports/webhook-destinations.ts';

/**
 * Webhooks reach public addresses only, unless the operator allows the others (development, tests, a hub whose
 * receivers live on its own network). A host passes when every address it resolves to is public: one bad address
 * among good ones would let a connection land on it. The check runs when a webhook is registered, to tell its owner
 * at once, and again on every connection a sender opens, which then uses only the addresses checked: DNS answering
 * differently the second time (rebinding) cannot move an attempt onto a private address.
 */
export class WebhookDestinationPolicy implements WebhookDestinations {
  readonly #resolver: HostResolver;
  readonly #allowNonPublic: boolean;

  constructor(resolver: HostResolver, options: { allowNonPublic: boolean }) {
    this.#resolver = resolver;
    this.#allowNonPublic = options.allowNonPublic;
  }

  async check(host: string): Promise<Destination> {
    const name = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
    const addresses = await this.#resolver.addresses(name);
    if (this.#allowNonPublic) return { addresses };
    for (const address of addresses) {
      const range = nonPublicRange(address);
      if (range) return { refused: `${address === name ? '' : `${name} resolves to `}${address} (${range})` };
    }
    return { addresses };
  }

  /**
   * Why `url` (already a valid webhook URL) may not receive webhooks, or undefined. A name that does not resolve (yet,
   * or for a moment) is let through: each attempt checks it again before connecting.
   */
  async refusal(url: string): Promise<string | undefined> {
    if (this.#allowNonPublic) return undefined;
    const destination = await this.check(new URL(url).hostname).catch(() => undefined);
    return destination && 'refused' in destination ? `must not point at a non-public address: ${destination.refused}` : undefined;
  }
}
