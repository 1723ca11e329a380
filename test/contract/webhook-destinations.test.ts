import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { ApiClient, waitFor, type Session } from '../support/api-client.ts';
import { assertProblem } from '../support/assertions.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';

/**
 * Webhooks may not reach the hub's own machine or network (SSRF). Every URL here is loopback or one that the hub
 * refuses before any connection: no test sends anything anywhere else.
 */
const ALLOWED = { CHAT4ALL_WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true' };

/** Removes every webhook of `session`'s user (a refusal that failed would otherwise leave one registered). */
async function removeWebhooks(session: Session): Promise<void> {
  for (const { webhook_id: id } of (await session.get('/v1/webhooks')).body.webhooks ?? []) {
    await session.client.request('DELETE', `/v1/webhooks/${id}`, { token: session.token });
  }
}

for (const mode of testModes) describe(`webhook destinations at registration [${mode}]`, () => {
  let hub: HubProcess;
  let alice: Session;

  before(async () => {
    hub = await HubProcess.start({ mode });
    alice = await new ApiClient(hub.url).login('user1');
  });
  afterEach(() => removeWebhooks(alice));
  after(() => hub.stop());

  /** Registers `url`, expecting a 400 whose message for the url field is "must not point at a non-public address: …". */
  const refusal = async (url: string): Promise<string> => {
    const response = await alice.post('/v1/webhooks', { url, events: ['message.created'] });
    assertProblem(response, 400, 'VALIDATION_FAILED');
    const message: string = response.body.field_errors?.url?.[0] ?? '';
    assert.ok(message.startsWith('must not point at a non-public address: '), `${url}: ${message}`);
    return message.slice('must not point at a non-public address: '.length);
  };

  it('refuses a URL whose host is a non-public address, in every spelling URLs allow', async () => {
    const cases: Array<[string, string]> = [
      ['http://127.0.0.1:8080/hook', '127.0.0.1 (loopback)'],
      ['http://127.9.9.9/', '127.9.9.9 (loopback)'],
      ['http://2130706433/', '127.0.0.1 (loopback)'],
      ['http://0x7f.1/', '127.0.0.1 (loopback)'],
      ['http://0177.0.0.1/', '127.0.0.1 (loopback)'],
      ['http://[::1]:8080/', '::1 (loopback)'],
      ['http://[::ffff:127.0.0.1]/', '::ffff:7f00:1 (loopback)'],
      ['http://0.0.0.0:8080/', '0.0.0.0 (unspecified)'],
      ['http://[::]/', ':: (unspecified)'],
      ['http://10.0.0.1/', '10.0.0.1 (private)'],
      ['http://172.16.5.4/', '172.16.5.4 (private)'],
      ['https://192.168.1.1/', '192.168.1.1 (private)'],
      ['http://169.254.169.254/latest/meta-data/', '169.254.169.254 (link-local)'],
      ['http://100.64.0.1/', '100.64.0.1 (carrier-grade NAT)'],
      ['http://[fd00::1]/', 'fd00::1 (unique local)'],
      ['http://[fe80::1]/', 'fe80::1 (link-local)'],
      ['http://224.0.0.1/', '224.0.0.1 (multicast)'],
      ['http://255.255.255.255/', '255.255.255.255 (broadcast)'],
      ['https://192.0.2.1/', '192.0.2.1 (documentation)'],
    ];
    for (const [url, reason] of cases) assert.equal(await refusal(url), reason, url);
    assert.deepEqual((await alice.get('/v1/webhooks')).body.webhooks, [], 'nothing stored');
  });

  it('refuses a URL whose host name resolves to a non-public address', async () => {
    assert.match(await refusal('http://localhost:8080/hook'), /^localhost resolves to (127\.0\.0\.1|::1) \(loopback\)$/);
  });
});

for (const mode of testModes) describe(`webhook destinations at send time [${mode}]`, () => {
  let dataDir: string;
  let hub: HubProcess | undefined;
  let receiver: WebhookReceiver;

  before(async () => {
    dataDir = await HubProcess.freshDataDir(mode, 'chat4all-webhook-destinations-');
    receiver = await WebhookReceiver.start();
  });
  after(async () => {
    await hub?.kill('SIGTERM');
    await receiver.close();
    await HubProcess.removeState(dataDir, mode);
  });

  it('checks the host again before each attempt: one allowed when registered is refused, dead-lettered, never contacted', async () => {
    hub = await HubProcess.start({ mode, dataDir, env: ALLOWED });
    const owner = await new ApiClient(hub.url).login('user2');
    const webhookIds: string[] = [];
    for (const url of [receiver.url('/named', 'localhost'), receiver.url('/literal')]) {
      const response = await owner.post('/v1/webhooks', { url, events: ['message.created'] });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      webhookIds.push(response.body.webhook_id);
    }
    assert.equal(await hub.kill('SIGTERM'), 0);

    hub = await HubProcess.start({ mode, dataDir });
    const client = new ApiClient(hub.url);
    const [alice, bob] = await Promise.all([client.login('user1'), client.login('user2')]);
    const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
    const message = alice.textMessage(conversation);
    assert.equal((await alice.post('/v1/messages', message)).status, 200);

    const [named, literal] = await Promise.all(
      webhookIds.map((id) =>
        waitFor(async () => (await bob.get(`/v1/webhooks/${id}/dead-letters`)).body.dead_letters?.[0], { what: `a dead letter of ${id}` }),
      ),
    );
    assert.match(named.last_error, /^refused: localhost resolves to (127\.0\.0\.1|::1) \(loopback\)$/);
    assert.equal(literal.last_error, 'refused: 127.0.0.1 (loopback)');
    for (const letter of [named, literal]) {
      assert.equal(letter.attempts, 1, 'dead-lettered at once, not retried for a day');
      assert.equal(letter.last_status, null);
      assert.equal(letter.payload.data.message_id, message.message_id);
    }
    assert.deepEqual(receiver.attempts, [], 'the receiver never heard of it');
  });
});
