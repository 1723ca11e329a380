import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SystemHostResolver } from '../../src/adapters/dns/system-host-resolver.ts';
import { FetchWebhookSender } from '../../src/adapters/http/fetch-webhook-sender.ts';
import { WebhookDestinationPolicy } from '../../src/app/webhook-destination-policy.ts';
import type { Destination, WebhookDestinations } from '../../src/ports/webhook-destinations.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

const request = (url: string) => ({ url, headers: { 'webhook-id': 'msg_1' }, body: '{"type":"message.created"}' });
const options = { timeoutMs: 5_000, signal: new AbortController().signal };

/** Destinations that answer from a table, and remember what they were asked. */
function destinations(table: Record<string, Destination>): WebhookDestinations & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async check(host) {
      asked.push(host);
      const destination = table[host];
      if (!destination) throw new Error(`unexpected host ${host}`);
      return destination;
    },
  };
}

/** The sender as the hub builds it, refusing non-public addresses. */
const system = () => new FetchWebhookSender(new WebhookDestinationPolicy(new SystemHostResolver(), { allowNonPublic: false }));

describe('FetchWebhookSender', () => {
  let receiver: WebhookReceiver;
  let port: string;

  before(async () => {
    receiver = await WebhookReceiver.start();
    port = new URL(receiver.url()).port;
  });
  after(() => receiver.close());

  it('connects to the addresses its destinations checked, without asking DNS again', async () => {
    // .invalid never resolves (RFC 2606): the POST arrives only if the connection used the checked address.
    const checked = destinations({ 'webhook.invalid': { addresses: ['127.0.0.1'] } });
    const result = await new FetchWebhookSender(checked).post(request(`http://webhook.invalid:${port}/pinned`), options);
    assert.deepEqual(result, { ok: true, status: 204, error: null });
    assert.deepEqual(checked.asked, ['webhook.invalid']);
    const [attempt] = receiver.attempts.filter((a) => a.path === '/pinned');
    assert.equal(attempt?.headers.host, `webhook.invalid:${port}`, 'the Host header still names the host');
  });

  it('opens no connection to a refused destination, and says why', async () => {
    const refusing = destinations({ 'webhook.invalid': { refused: 'webhook.invalid resolves to 127.0.0.1 (loopback)' } });
    const result = await new FetchWebhookSender(refusing).post(request(`http://webhook.invalid:${port}/refused`), options);
    assert.deepEqual(result, { ok: false, status: null, error: 'refused: webhook.invalid resolves to 127.0.0.1 (loopback)', refused: true });
    assert.deepEqual(receiver.attempts.filter((a) => a.path === '/refused'), []);
  });

  it('checks a host that is an IP address, which no lookup ever sees', async () => {
    const result = await system().post(request(`http://127.0.0.1:${port}/literal`), options);
    assert.equal(result.error, 'refused: 127.0.0.1 (loopback)');
    assert.deepEqual(receiver.attempts.filter((a) => a.path === '/literal'), []);
  });

  it('checks every address a name resolves to through the system resolver (hosts file included)', async () => {
    const result = await system().post(request(`http://localhost:${port}/named`), options);
    assert.match(result.error ?? '', /^refused: localhost resolves to (127\.0\.0\.1|::1) \(loopback\)$/);
    assert.deepEqual(receiver.attempts.filter((a) => a.path === '/named'), []);
  });
});
