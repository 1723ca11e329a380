import { lookup } from 'node:dns/promises';
import type { HostResolver } from '../../ports/host-resolver.ts';

/**
 * getaddrinfo, as Node's own connections use it: the hosts file counts, so `localhost` and names an operator pins
 * there resolve as they would for any client on this machine.
 */
export class SystemHostResolver implements HostResolver {
  async addresses(host: string): Promise<string[]> {
    const found = await lookup(host, { all: true, order: 'verbatim' });
    return found.map(({ address }) => address);
  }
}
