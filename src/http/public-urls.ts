import { isIPv4 } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { httpUrl } from './http-url.ts';

/** An upload URL as clients get it: S3's presigned URLs as they are, the hub's own (relative) made absolute. */
export type PublicUrl = (request: FastifyRequest, url: string) => string;

/**
 * The hub's own URLs never take their address from the request's Host header, which any client sets at will
 * (and a link in an answer would send an upload wherever it says): they hang from the configured PUBLIC_BASE_URL;
 * without it, from what a trusted proxy (TRUST_PROXY) forwarded; else from the address and port the client's
 * connection reached.
 */
export function publicUrls(publicBaseUrl: string | undefined): PublicUrl {
  return (request, url) => {
    if (/^https?:\/\//i.test(url)) return url;
    return `${publicBaseUrl ?? origin(request)}${url}`;
  };
}

function origin(request: FastifyRequest): string {
  // Fastify lists a forwarding chain (`ips`) only with trustProxy on, and only from a proxy it trusts.
  if (request.ips && request.ips.length > 1) return `${request.protocol}://${request.host}`;
  const { localAddress = '', localPort = 0 } = request.socket;
  // A dual-stack listener sees IPv4 clients at IPv4-mapped addresses; the plain IPv4 form is what they dialled.
  const mapped = localAddress.startsWith('::ffff:') ? localAddress.slice('::ffff:'.length) : '';
  return httpUrl(isIPv4(mapped) ? mapped : localAddress, localPort);
}
