import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createServer, type Server } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { allowedSASLMechanisms } from '@platformatic/kafka';
import { kafkaConnectionOptions } from '../../src/adapters/kafka/kafka-connection.ts';
import { pingKafka } from '../../src/adapters/kafka/kafka-probe.ts';
import { ConfigError, loadConfig, SASL_MECHANISMS } from '../../src/config.ts';

const directory = mkdtempSync(path.join(tmpdir(), 'chat4all-kafka-tls-'));
const file = (name: string) => path.join(directory, name);

/** A self-signed certificate for 127.0.0.1 and localhost (openssl, as an operator would make one). */
execFileSync('openssl', [
  'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
  '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  '-keyout', file('broker.key'), '-out', file('broker.pem'),
], { stdio: 'ignore' });
writeFileSync(file('client.pem'), 'client certificate');
writeFileSync(file('client.key'), 'client key');

const security = (env: Record<string, string>) => loadConfig(env).kafkaSecurity;
const BROKERS = ['broker-1.kafka.example.com:9093', 'broker-2.kafka.example.com:9093'];
const options = (env: Record<string, string>) => kafkaConnectionOptions(security(env), BROKERS);

function assertRefused(env: Record<string, string>, ...named: string[]): void {
  assert.throws(
    () => loadConfig(env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, String(error));
      for (const name of named) assert.ok(error.message.includes(name), `"${error.message}" names ${name}`);
      return true;
    },
  );
}

after(() => rmSync(directory, { recursive: true, force: true }));

describe('loadConfig: Kafka TLS and SASL', () => {
  it('connects in plain text without SASL by default: the clients get no TLS or SASL option', () => {
    assert.deepEqual(security({}), { tls: undefined, sasl: undefined });
    assert.deepEqual(options({}), {});
  });

  it('KAFKA_SSL=true: TLS verified against Node\'s CA list, with SNI', () => {
    assert.deepEqual(options({ KAFKA_SSL: 'true' }), { tls: {}, tlsServerName: true });
  });

  it('sends no SNI to brokers named by address only, which SNI cannot carry', () => {
    assert.deepEqual(kafkaConnectionOptions(security({ KAFKA_SSL: 'true' }), ['127.0.0.1:9093', '[::1]:9093']), { tls: {} });
  });

  it('KAFKA_SSL_CA_FILE: the CA is read at start and given to the clients', () => {
    assert.deepEqual(options({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: file('broker.pem') }).tls, { ca: readFileSync(file('broker.pem'), 'utf8') });
  });

  it('KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE: a client certificate for mutual TLS', () => {
    const mutual = options({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: file('client.pem'), KAFKA_SSL_KEY_FILE: file('client.key') });
    assert.deepEqual(mutual.tls, { cert: 'client certificate', key: 'client key' });
  });

  it('refuses a certificate without its key, and the reverse', () => {
    assertRefused({ KAFKA_SSL: 'true', KAFKA_SSL_CERT_FILE: file('client.pem') }, 'KAFKA_SSL_KEY_FILE');
    assertRefused({ KAFKA_SSL: 'true', KAFKA_SSL_KEY_FILE: file('client.key') }, 'KAFKA_SSL_CERT_FILE');
  });

  it('refuses a TLS file without KAFKA_SSL=true, which it would change nothing without', () => {
    assertRefused({ KAFKA_SSL_CA_FILE: file('broker.pem') }, 'KAFKA_SSL_CA_FILE', 'KAFKA_SSL=true');
  });

  it('refuses a file that cannot be read, naming the variable and the path', () => {
    assertRefused({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: file('missing.pem') }, 'KAFKA_SSL_CA_FILE', file('missing.pem'));
  });

  it('maps each SASL mechanism, in any case, with its user and password', () => {
    for (const mechanism of SASL_MECHANISMS) {
      const env = { KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: mechanism.toLowerCase(), KAFKA_SASL_USERNAME: 'hub', KAFKA_SASL_PASSWORD: 'p=ss' };
      assert.deepEqual(options(env).sasl, { mechanism, username: 'hub', password: 'p=ss' });
      assert.ok((allowedSASLMechanisms as string[]).includes(mechanism), `@platformatic/kafka knows ${mechanism}`);
    }
  });

  it('refuses an unknown mechanism, a mechanism without credentials, and credentials without a mechanism', () => {
    assertRefused({ KAFKA_SASL_MECHANISM: 'GSSAPI', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }, 'KAFKA_SASL_MECHANISM', 'SCRAM-SHA-512');
    assertRefused({ KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256', KAFKA_SASL_USERNAME: 'u' }, 'KAFKA_SASL_PASSWORD');
    assertRefused({ KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' }, 'KAFKA_SASL_MECHANISM');
  });

  it('warns when PLAIN would send the password in clear, and only then', () => {
    const credentials = { KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' };
    const warned = (env: Record<string, string>) => loadConfig({ ...credentials, ...env }).warnings.some((line) => line.includes('KAFKA_SASL_MECHANISM=PLAIN'));
    assert.equal(warned({ KAFKA_SASL_MECHANISM: 'PLAIN' }), true);
    assert.equal(warned({ KAFKA_SASL_MECHANISM: 'PLAIN', KAFKA_SSL: 'true' }), false);
    assert.equal(warned({ KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512' }), false);
  });
});

describe('pingKafka over TLS', () => {
  let server: Server;
  let address: string;

  before(async () => {
    // Answers any request as a broker answers ApiVersions: size, correlation id 1, error code 0.
    server = createServer({ key: readFileSync(file('broker.key')), cert: readFileSync(file('broker.pem')) }, (socket) => {
      socket.once('data', () => socket.end(Buffer.from([0, 0, 0, 6, 0, 0, 0, 1, 0, 0])));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  it('gets the answer of a broker whose certificate the CA file vouches for', async () => {
    await pingKafka([address], 2_000, security({ KAFKA_SSL: 'true', KAFKA_SSL_CA_FILE: file('broker.pem') }).tls);
  });

  it('refuses a broker whose certificate no trusted CA signed', async () => {
    await assert.rejects(pingKafka([address], 2_000, security({ KAFKA_SSL: 'true' }).tls), /no Kafka broker answered/);
  });

  it('gets no answer in plain text from a TLS listener', async () => {
    await assert.rejects(pingKafka([address], 1_000), /no Kafka broker answered/);
  });
});
