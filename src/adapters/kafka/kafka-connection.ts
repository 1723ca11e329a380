import { isIP } from 'node:net';
import type { ConnectionOptions } from '@platformatic/kafka';
import type { KafkaSecurity } from '../../config.ts';

/**
 * What every Kafka client of the hub (producer, consumers, admin) adds to its options: TLS and SASL, when set.
 * Over TLS, the broker's host name goes in SNI, by which managed services (Confluent Cloud among them) route
 * connections; not for brokers named by address, where Node would warn that SNI takes no address (RFC 6066).
 */
export function kafkaConnectionOptions(security: KafkaSecurity, servers: readonly string[]): Pick<ConnectionOptions, 'tls' | 'tlsServerName' | 'sasl'> {
  const named = servers.some((server) => isIP(server.slice(0, server.lastIndexOf(':')).replace(/^\[|\]$/g, '')) === 0);
  return {
    ...(security.tls ? { tls: { ...security.tls }, ...(named ? { tlsServerName: true } : {}) } : {}),
    ...(security.sasl ? { sasl: { ...security.sasl } } : {}),
  };
}
