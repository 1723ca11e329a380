import { BlockList, isIP } from 'node:net';

/**
 * Ranges the internet does not route to a server of someone else's (IANA's special-purpose registries): a hub that
 * POSTs wherever users say must not reach them, or a webhook becomes a way into the hub's own network (cloud
 * metadata at 169.254.169.254, an admin port on loopback, a database next door). The first match names the range.
 */
const NON_PUBLIC: Array<[range: string, cidrs: string[]]> = [
  ['unspecified', ['0.0.0.0/8', '::/128']],
  ['loopback', ['127.0.0.0/8', '::1/128']],
  ['private', ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']],
  ['carrier-grade NAT', ['100.64.0.0/10']],
  ['link-local', ['169.254.0.0/16', 'fe80::/10']],
  ['unique local', ['fc00::/7']],
  ['documentation', ['192.0.2.0/24', '198.51.100.0/24', '203.0.113.0/24', '2001:db8::/32', '3fff::/20']],
  ['benchmarking', ['198.18.0.0/15']],
  ['multicast', ['224.0.0.0/4', 'ff00::/8']],
  ['broadcast', ['255.255.255.255/32']],
  // IETF protocol assignments, the deprecated 6to4 relay, the future-use block; 2001::/23 holds Teredo and ORCHID,
  // and 6to4 (2002::/16) embeds an IPv4 address that may be any of the above.
  ['reserved', ['192.0.0.0/24', '192.88.99.0/24', '240.0.0.0/4', '2001::/23', '2002::/16']],
];

const blockLists = NON_PUBLIC.map(([range, cidrs]) => {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [network, prefix] = cidr.split('/') as [string, string];
    list.addSubnet(network, Number(prefix), isIP(network) === 6 ? 'ipv6' : 'ipv4');
  }
  return [range, list] as const;
});

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) is its IPv4 address: BlockList checks it against the IPv4 rules above. */
const ipv4Mapped = new BlockList();
ipv4Mapped.addSubnet('::ffff:0:0', 96, 'ipv6');

/** Global unicast: every other IPv6 address (NAT64, IPv4-compatible, site-local, discard…) is not for the internet. */
const globalUnicast = new BlockList();
globalUnicast.addSubnet('2000::', 3, 'ipv6');

/**
 * The kind of non-public address `address` is ("loopback", "private", …), or undefined for a public one. Takes an
 * address as a resolver or a URL's host gives it (IPv6 without brackets); anything else is "invalid".
 */
export function nonPublicRange(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return 'invalid';
  const type = family === 6 ? 'ipv6' : 'ipv4';
  for (const [range, list] of blockLists) if (list.check(address, type)) return range;
  if (type === 'ipv4' || ipv4Mapped.check(address, type) || globalUnicast.check(address, type)) return undefined;
  return 'reserved';
}
