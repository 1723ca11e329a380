import type { AddressInfo } from 'node:net';
import type { NetworkInterfaceInfo } from 'node:os';
import { httpUrl } from '../http/http-url.ts';

type Interfaces = NodeJS.Dict<NetworkInterfaceInfo[]>;

/**
 * Every URL a server bound to `addresses` answers on, the one a person on this machine would type first. A
 * wildcard address stands for localhost and each external address of the families it covers: 0.0.0.0 for IPv4,
 * :: for both (Node binds it dual-stack). Saying them all shows at a glance whether the hub is reachable from
 * other machines.
 */
export function listeningUrls(addresses: readonly AddressInfo[], interfaces: Interfaces): string[] {
  const urls: string[] = [];
  const wildcards = addresses.filter((bound) => WILDCARDS.has(bound.address));
  for (const bound of wildcards) {
    urls.push(`http://localhost:${bound.port}`);
    const families = bound.address === '0.0.0.0' ? ['IPv4'] : ['IPv4', 'IPv6'];
    for (const [name, infos] of Object.entries(interfaces)) {
      for (const info of infos ?? []) {
        if (!info.internal && families.includes(info.family)) urls.push(httpUrl(info.address, bound.port, name));
      }
    }
  }
  for (const bound of addresses) if (!WILDCARDS.has(bound.address)) urls.push(httpUrl(bound.address, bound.port));
  return [...new Set(urls)];
}

const WILDCARDS = new Set(['0.0.0.0', '::']);
