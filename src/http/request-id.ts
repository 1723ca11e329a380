import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/**
 * UUIDs, ULIDs, hex trace ids and the like: what proxies and clients send. Anything else (spaces, control or
 * non-ASCII characters, kilobytes of text) would be written into every log line and answer of the request.
 */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:@+=-]{1,128}$/;

/** The caller's X-Request-Id when it looks like an id, else one of our own. */
export function requestId(request: IncomingMessage): string {
  const given = request.headers['x-request-id'];
  return typeof given === 'string' && SANE_REQUEST_ID.test(given) ? given : randomUUID();
}
