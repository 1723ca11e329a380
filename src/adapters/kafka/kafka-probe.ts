import { connect, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { KafkaSecurity } from '../../config.ts';

const API_VERSIONS = 18;
const CLIENT_ID = 'chat4all-probe';
const CORRELATION_ID = 1;

/**
 * Whether a Kafka broker answers, for `/ready`: an ApiVersions request (version 0, the first request every Kafka
 * client sends) to each bootstrap server in turn until one answers it without error. The API never publishes
 * (the relay does), and a Kafka client loaded only for this probe cost its process some 20 MB of memory.
 * Over TLS when the cluster takes TLS; SASL needs no part in it, since brokers answer ApiVersions before
 * authentication (clients ask it to learn which SASL handshake to use).
 */
export async function pingKafka(servers: readonly string[], timeoutMs: number, tls?: KafkaSecurity['tls']): Promise<void> {
  const failures: unknown[] = [];
  for (const server of servers) {
    try {
      return await askApiVersions(server, timeoutMs, tls);
    } catch (error) {
      failures.push(error);
    }
  }
  throw new AggregateError(failures, `no Kafka broker answered at ${servers.join(', ')}`);
}

function askApiVersions(server: string, timeoutMs: number, tls: KafkaSecurity['tls']): Promise<void> {
  const colon = server.lastIndexOf(':');
  const host = server.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(server.slice(colon + 1));
  return new Promise<void>((resolve, reject) => {
    // SNI as the bus's clients send it (a host name, never an address); the certificate is checked either way.
    const socket: Socket = tls
      ? connectTls({ host, port, timeout: timeoutMs, ...tls, ...(isIP(host) ? {} : { servername: host }) })
      : connect({ host, port, timeout: timeoutMs });
    let answer = Buffer.alloc(0);
    const finish = (error?: Error) => {
      socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    socket.once(tls ? 'secureConnect' : 'connect', () => socket.write(apiVersionsRequest()));
    socket.on('data', (data: Buffer) => {
      answer = Buffer.concat([answer, data]);
      // Size (4 bytes), correlation id (4), error code (2): all a liveness answer needs.
      if (answer.length < 10) return;
      const correlationId = answer.readInt32BE(4);
      const errorCode = answer.readInt16BE(8);
      if (correlationId !== CORRELATION_ID) finish(new Error(`Kafka at ${server} answered another request (${correlationId})`));
      else if (errorCode !== 0) finish(new Error(`Kafka at ${server} answered ApiVersions with error code ${errorCode}`));
      else finish();
    });
    socket.once('timeout', () => finish(new Error(`Kafka at ${server} did not answer within ${timeoutMs} ms`)));
    socket.once('error', finish);
    socket.once('end', () => finish(new Error(`Kafka at ${server} closed the connection without answering`)));
  });
}

/** Request header v1 (api key, api version, correlation id, client id) and ApiVersions v0's empty body, size-prefixed. */
function apiVersionsRequest(): Buffer {
  const clientId = Buffer.from(CLIENT_ID);
  const request = Buffer.alloc(4 + 2 + 2 + 4 + 2 + clientId.length);
  let at = request.writeInt32BE(request.length - 4, 0);
  at = request.writeInt16BE(API_VERSIONS, at);
  at = request.writeInt16BE(0, at);
  at = request.writeInt32BE(CORRELATION_ID, at);
  at = request.writeInt16BE(clientId.length, at);
  clientId.copy(request, at);
  return request;
}
