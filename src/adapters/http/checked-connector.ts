import { isIP, type LookupFunction } from 'node:net';
import { buildConnector } from 'undici';
import type { WebhookDestinations } from '../../ports/webhook-destinations.ts';

/** What a connection fails with when its destination was refused, so the sender can tell it from a network error. */
export class DestinationRefused extends Error {}

/**
 * An undici connector that opens a connection only once `destinations` has checked its host, and then to the
 * addresses checked and no others: the socket's lookup answers with them instead of asking DNS again, so an answer
 * that changed meanwhile (DNS rebinding) is never used. A host that is an IP address is checked as it is (sockets
 * never look those up). Pooled connections were all opened this way, so reusing one is as safe.
 */
export function checkedConnector(destinations: WebhookDestinations): buildConnector.connector {
  return (options, callback) => {
    destinations.check(options.hostname).then(
      (destination) => {
        if ('refused' in destination) return callback(new DestinationRefused(destination.refused), null);
        // HTTP/1.1 only, as Node's own fetch speaks (a connector of one's own would offer HTTP/2 too).
        buildConnector({ lookup: answeringWith(destination.addresses), allowH2: false })(options, callback);
      },
      (error: Error) => callback(error, null),
    );
  };
}

/** A lookup that knows only these addresses (net asks for all of them when it races IPv6 against IPv4). */
function answeringWith(addresses: string[]): LookupFunction {
  const found = addresses.map((address) => ({ address, family: isIP(address) }));
  return (_host, options, callback) => {
    if (options.all) return callback(null, found);
    const [first] = found;
    if (!first) return callback(Object.assign(new Error('no address to connect to'), { code: 'ENOTFOUND' }), '');
    callback(null, first.address, first.family);
  };
}
