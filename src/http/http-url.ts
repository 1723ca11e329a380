/**
 * The http URL of a host address and port: IPv6 in brackets. An IPv6 link-local address needs its interface
 * (RFC 6874 zone, "%" written %25) to be usable.
 */
export function httpUrl(address: string, port: number, interfaceName?: string): string {
  if (!address.includes(':')) return `http://${address}:${port}`;
  const zone = address.toLowerCase().startsWith('fe80:') && interfaceName && !address.includes('%') ? `%25${interfaceName}` : '';
  return `http://[${address.replace('%', '%25')}${zone}]:${port}`;
}
