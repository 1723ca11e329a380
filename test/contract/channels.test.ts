import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ApiClient, waitFor, type Session } from '../support/api-client.ts';
import { assertProblem } from '../support/assertions.ts';
import { postChannelWebhook, unixSeconds } from '../support/channel-webhook.ts';
import { HubProcess } from '../support/hub-process.ts';
import { linkVerified } from '../support/identities.ts';
import { testModes } from '../support/test-modes.ts';

const SECRETS = { whatsapp: 'whatsapp-secret', instagram: 'instagram-secret', telegram: 'telegram-secret' };
const secretsEnv = Object.entries(SECRETS).map(([channel, secret]) => `${channel}=${secret}`).join(',');

for (const mode of testModes) describe(`channel identities, default channels [${mode}]`, () => {
  let hub: HubProcess;
  let alice: Session;
  let bob: Session;

  before(async () => {
    // Claims follow each other at once here (proof-of-identity tests cover the resend interval).
    hub = await HubProcess.start({ mode, env: { CHAT4ALL_IDENTITY_CODE_RESEND_SECONDS: '0' } });
    const client = new ApiClient(hub.url);
    [alice, bob] = await Promise.all([client.login('user1'), client.login('user2')]);
  });
  after(() => hub.stop());

  const link = (session: Session, body: unknown) => session.post('/v1/users/me/identities', body);

  it('links an address verified with the code sent there, answers a repeat claim with 200 (nothing sent), and lists it', async () => {
    const verified = await linkVerified(alice, hub, 'whatsapp', '+5511900000001');
    assert.equal(verified.user_id, alice.userId);
    const before = hub.output.length;
    const again = await link(alice, { channel: 'whatsapp', address: '+5511900000001' });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    assert.equal(again.body.status, 'verified');
    const listed = await alice.get('/v1/users/me/identities');
    assert.deepEqual(listed.body.identities.map((i: { channel: string; address: string; status: string }) => [i.channel, i.address, i.status]), [
      ['whatsapp', '+5511900000001', 'verified'],
    ]);
    assert.doesNotMatch(hub.output.slice(before), /Código de verificação/, 'no code for an address already verified');
  });

  it('replaces the earlier address on the same channel once the new one is verified', async () => {
    await linkVerified(alice, hub, 'instagram', '@alice.old');
    await linkVerified(alice, hub, 'instagram', '@alice');
    const listed = await alice.get('/v1/users/me/identities');
    const instagram = listed.body.identities.filter((i: { channel: string }) => i.channel === 'instagram');
    assert.deepEqual(instagram.map((i: { address: string }) => i.address), ['@alice']);
  });

  it('answers 409 IDENTITY_TAKEN for an address linked to someone else', async () => {
    assertProblem(await link(bob, { channel: 'whatsapp', address: '+5511900000001' }), 409, 'IDENTITY_TAKEN');
  });

  it('answers 400 naming the field for an unknown channel, an empty or a control-character address', async () => {
    for (const [body, field] of [
      [{ channel: 'sms', address: '+1' }, 'channel'],
      [{ channel: 'whatsapp', address: '' }, 'address'],
      [{ channel: 'whatsapp', address: 'a\nb' }, 'address'],
      [{ channel: 'whatsapp' }, 'address'],
    ] as const) {
      const response = await link(bob, body);
      assertProblem(response, 400, 'VALIDATION_FAILED');
      assert.ok(response.body.field_errors[field], JSON.stringify(response.body));
    }
  });

  it('answers 404 CHANNEL_INBOUND_DISABLED to a webhook for a channel without a secret configured', async () => {
    assertProblem(await postChannelWebhook(alice.client, 'whatsapp', {}, 'x'), 404, 'CHANNEL_INBOUND_DISABLED');
  });

  it('answers 400 for a channel this deployment does not run (Telegram is not enabled by default)', async () => {
    const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
    const response = await alice.post('/v1/messages', alice.textMessage(conversation, { channels: ['telegram'] }));
    assertProblem(response, 400, 'VALIDATION_FAILED');
    assert.ok(response.body.field_errors['channels.0']);
  });

  it('unlinks with 204, then 404 IDENTITY_NOT_FOUND', async () => {
    await linkVerified(bob, hub, 'instagram', '@bob-temp');
    assert.equal((await bob.client.request('DELETE', '/v1/users/me/identities/instagram', { token: bob.token })).status, 204);
    assertProblem(await bob.client.request('DELETE', '/v1/users/me/identities/instagram', { token: bob.token }), 404, 'IDENTITY_NOT_FOUND');
  });
});

for (const mode of testModes) describe(`inbound channel webhooks [${mode}]`, () => {
  let hub: HubProcess;
  let client: ApiClient;
  let alice: Session;
  let bob: Session;
  let carol: Session;

  before(async () => {
    // whatsapp deliveries stay "sent" (its delivery reports come in by webhook in these tests).
    hub = await HubProcess.start({
      mode,
      env: { CHAT4ALL_CHANNEL_SECRETS: `whatsapp=${SECRETS.whatsapp},instagram=${SECRETS.instagram}`, CHAT4ALL_MOCK_DELIVERED_AFTER_MS: 'whatsapp=3600000' },
    });
    client = new ApiClient(hub.url);
    [alice, bob, carol] = await Promise.all([client.login('user1'), client.login('user2'), client.login('user3')]);
    await linkVerified(alice, hub, 'whatsapp', '+5511911110001');
    await linkVerified(bob, hub, 'instagram', '@bob');
    await linkVerified(carol, hub, 'whatsapp', '+5511911110003');
  });
  after(() => hub.stop());

  const message = async (session: Session, id: string) => (await session.get(`/v1/messages/${id}`)).body;
  async function sentOnWhatsapp(): Promise<{ id: string; providerId: string }> {
    const conversation = await alice.createConversation('private', [alice.userId, carol.userId]);
    const body = alice.textMessage(conversation, { channels: ['whatsapp'] });
    assert.equal((await alice.post('/v1/messages', body)).status, 200);
    const delivery = await waitFor(async () => {
      const found = (await message(alice, body.message_id as string)).deliveries?.[0];
      return found?.status === 'sent' && found;
    }, { what: 'the whatsapp delivery sent' });
    return { id: body.message_id as string, providerId: delivery.provider_message_id };
  }
  const statuses = (items: object[]) => postChannelWebhook(client, 'whatsapp', { statuses: items }, SECRETS.whatsapp);

  it('refuses an unsigned or wrongly signed webhook with 401', async () => {
    assertProblem(await postChannelWebhook(client, 'whatsapp', { statuses: [] }, null), 401, 'CHANNEL_SIGNATURE_INVALID');
    assertProblem(await postChannelWebhook(client, 'whatsapp', { statuses: [] }, 'wrong-secret'), 401, 'CHANNEL_SIGNATURE_INVALID');
  });

  it('accepts a webhook whose signature covers its current timestamp', async () => {
    const response = await postChannelWebhook(client, 'whatsapp', { statuses: [] }, SECRETS.whatsapp, { sent: unixSeconds() });
    assert.equal(response.status, 200, JSON.stringify(response.body));
  });

  it('refuses a correctly signed webhook replayed 10 minutes later with 401, naming the replay window', async () => {
    const replayed = await postChannelWebhook(client, 'whatsapp', { statuses: [] }, SECRETS.whatsapp, { sent: unixSeconds(10 * 60_000) });
    assertProblem(replayed, 401, 'CHANNEL_SIGNATURE_INVALID');
    assert.match(replayed.body.detail, /replay window/);
  });

  it('refuses with 401 a webhook whose timestamp is not the one its signature covers', async () => {
    const old = unixSeconds(10 * 60_000);
    const tampered = await postChannelWebhook(client, 'whatsapp', { statuses: [] }, SECRETS.whatsapp, { sent: unixSeconds(), signed: old });
    assertProblem(tampered, 401, 'CHANNEL_SIGNATURE_INVALID');
    assert.match(tampered.body.detail, /timestamp and body/);
  });

  it('refuses with 401 a webhook without a timestamp or with one that is not Unix seconds', async () => {
    for (const sent of [null, '', '2026-12-03T15:00:00Z', '-1', '1e9']) {
      const response = await postChannelWebhook(client, 'whatsapp', { statuses: [] }, SECRETS.whatsapp, { sent });
      assertProblem(response, 401, 'CHANNEL_SIGNATURE_INVALID');
      assert.match(response.body.detail, /x-chat4all-timestamp must be/, String(sent));
    }
  });

  it('answers 404 for an unknown channel', async () => {
    assertProblem(await postChannelWebhook(client, 'sms', {}, 'x'), 404, 'CHANNEL_NOT_FOUND');
  });

  it('answers 400 naming the field for a body it cannot read', async () => {
    const bad = await statuses([{ provider_message_id: 'x', status: 'arrived' }]);
    assertProblem(bad, 400, 'VALIDATION_FAILED');
    assert.ok(bad.body.field_errors['statuses.0.status']);
    assertProblem(await postChannelWebhook(client, 'whatsapp', 'not json', SECRETS.whatsapp), 400, 'VALIDATION_FAILED');
  });

  it('applies delivery and read reports with the channel’s time, and a late delivered never overwrites read', async () => {
    const { id, providerId } = await sentOnWhatsapp();
    const readAt = '2026-11-30T10:00:05.000Z';
    const read = await statuses([{ provider_message_id: providerId, status: 'read', timestamp: readAt }]);
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.equal(read.body.statuses_applied, 1);
    const late = await statuses([{ provider_message_id: providerId, status: 'delivered', timestamp: '2026-11-30T10:00:01.000Z' }]);
    assert.equal(late.status, 200);
    const seen = await message(alice, id);
    assert.equal(seen.status, 'read');
    const delivery = seen.deliveries[0];
    assert.equal(delivery.status, 'read');
    assert.deepEqual(delivery.history.map((step: { status: string }) => step.status), ['pending', 'sent', 'read']);
    assert.equal(delivery.history.at(-1).channel_at, readAt);
    assert.ok(delivery.history.at(-1).recorded_at);
  });

  it('changes nothing for a duplicate report', async () => {
    const { id, providerId } = await sentOnWhatsapp();
    const report = { provider_message_id: providerId, status: 'delivered' };
    await statuses([report]);
    await statuses([report, report]);
    const delivery = (await message(alice, id)).deliveries[0];
    assert.deepEqual(delivery.history.map((step: { status: string }) => step.status), ['pending', 'sent', 'delivered']);
    assert.equal((await message(alice, id)).status, 'delivered');
  });

  it('reports provider ids it does not know as unmatched', async () => {
    const response = await statuses([{ provider_message_id: 'whatsapp-unknown', status: 'delivered' }]);
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.unmatched_statuses, ['whatsapp-unknown']);
    assert.equal(response.body.statuses_applied, 0);
  });

  it('turns an inbound WhatsApp message into a hub message that reaches an Instagram user (cross-channel)', async () => {
    const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
    const externalId = `wamid.${randomUUID()}`;
    const inbound = { messages: [{ id: externalId, from: '+5511911110001', conversation_id: conversation, text: 'from my phone' }] };
    const response = await postChannelWebhook(client, 'whatsapp', inbound, SECRETS.whatsapp);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const [outcome] = response.body.messages;
    assert.equal(outcome.status, 'accepted');
    assert.equal(outcome.conversation_id, conversation);

    const seen = await waitFor(async () => {
      const found = await message(bob, outcome.message_id);
      return found.status === 'delivered' && found;
    }, { what: 'the inbound message delivered' });
    assert.equal(seen.from, alice.userId);
    assert.deepEqual(seen.payload, { type: 'text', text: 'from my phone' });
    assert.deepEqual(seen.deliveries.map((d: { channel: string; recipient_id: string }) => [d.channel, d.recipient_id]), [['instagram', bob.userId]]);
    await waitFor(async () => hub.linesWith(`INFO: Mensagem ${outcome.message_id} enviada para o usuário ${bob.userId} no Instagram`).length === 1, {
      what: 'the Instagram line',
    });

    const again = await postChannelWebhook(client, 'whatsapp', inbound, SECRETS.whatsapp);
    assert.equal(again.body.messages[0].status, 'duplicate');
    assert.equal(again.body.messages[0].message_id, outcome.message_id);
    const listed = await bob.get(`/v1/conversations/${conversation}/messages`);
    assert.equal(listed.body.total, 1, 'a webhook delivered twice makes one message');
  });

  it('accepts and delivers an inbound message whose formerly predictable id a user sent a message with first', async () => {
    const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
    const externalId = `wamid.${randomUUID()}`;
    // The id this inbound message had when ids were a plain hash of the channel and its id: anyone could compute it.
    const hex = createHash('sha256').update(`whatsapp\u0000${externalId}`).digest('hex');
    const guessed = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    const squat = await carol.post('/v1/messages', carol.textMessage(await carol.createConversation('private', [carol.userId, bob.userId]), { message_id: guessed }));
    assert.equal(squat.status, 200, JSON.stringify(squat.body));

    const inbound = { messages: [{ id: externalId, from: '+5511911110001', conversation_id: conversation, text: 'mine' }] };
    const [outcome] = (await postChannelWebhook(client, 'whatsapp', inbound, SECRETS.whatsapp)).body.messages;
    assert.equal(outcome.status, 'accepted', JSON.stringify(outcome));
    assert.notEqual(outcome.message_id, guessed);
    await waitFor(async () => (await message(bob, outcome.message_id)).status === 'delivered', { what: 'the inbound message delivered' });
    assert.deepEqual((await message(bob, outcome.message_id)).payload, { type: 'text', text: 'mine' });
  });

  it('names the conversation of an inbound message in lower case, whatever case the channel sent its id in', async () => {
    const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
    const inbound = { messages: [{ id: `wamid.${randomUUID()}`, from: '+5511911110001', conversation_id: conversation.toUpperCase(), text: 'shouting' }] };
    const response = await postChannelWebhook(client, 'whatsapp', inbound, SECRETS.whatsapp);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const [outcome] = response.body.messages;
    assert.equal(outcome.status, 'accepted', JSON.stringify(outcome));
    assert.equal(outcome.conversation_id, conversation);
    assert.equal((await message(bob, outcome.message_id)).conversation_id, conversation);
  });

  it('starts a private conversation for an inbound message addressed to another linked user', async () => {
    const inbound = { messages: [{ id: `wamid.${randomUUID()}`, from: '+5511911110003', to: '+5511911110001', text: 'hi alice' }] };
    const response = await postChannelWebhook(client, 'whatsapp', inbound, SECRETS.whatsapp);
    const [outcome] = response.body.messages;
    assert.equal(outcome.status, 'accepted', JSON.stringify(outcome));
    const conversation = (await alice.get(`/v1/conversations/${outcome.conversation_id}`)).body;
    assert.equal(conversation.type, 'private');
    assert.deepEqual([...conversation.members].sort(), [alice.userId, carol.userId].sort());
    const seen = await message(alice, outcome.message_id);
    assert.equal(seen.from, carol.userId);
    assert.deepEqual(seen.channels, ['whatsapp'], 'alice is linked on whatsapp');
  });

  it('rejects, without failing the call, inbound messages from an unknown address or to a conversation the sender is not in', async () => {
    const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
    const response = await postChannelWebhook(client, 'whatsapp', {
      messages: [
        { id: 'm-unknown', from: '+5500000000000', to: '+5511911110001', text: 'who am i' },
        { id: 'm-outsider', from: '+5511911110003', conversation_id: conversation, text: 'let me in' },
      ],
    }, SECRETS.whatsapp);
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.messages.map((m: { status: string }) => m.status), ['rejected', 'rejected']);
    assert.ok(response.body.messages.every((m: { reason?: string }) => m.reason));
  });
});

for (const mode of testModes) describe(`simulated channel behaviour [${mode}]`, () => {
  let hub: HubProcess;
  let alice: Session;
  let bob: Session;

  before(async () => {
    hub = await HubProcess.start({
      mode,
      env: {
        CHAT4ALL_CHANNELS: 'whatsapp,instagram,telegram',
        CHAT4ALL_MOCK_DELIVERED_AFTER_MS: 'telegram=100',
        CHAT4ALL_MOCK_READ_AFTER_MS: 'telegram=300',
      },
    });
    const client = new ApiClient(hub.url);
    [alice, bob] = await Promise.all([client.login('user1'), client.login('user2')]);
  });
  after(() => hub.stop());

  it('delivers on Telegram, a channel that is one file plus one registry line, and "all" includes it when enabled', async () => {
    const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
    const body = alice.textMessage(conversation, { channels: ['all'] });
    assert.equal((await alice.post('/v1/messages', body)).status, 200);
    for (const channel of ['WhatsApp', 'Instagram', 'Telegram']) {
      const line = `INFO: Mensagem ${body.message_id} enviada para o usuário ${bob.userId} no ${channel}`;
      await waitFor(async () => hub.linesWith(line).length === 1, { what: line });
    }
  });

  it('reports delivered and then read after the configured delays, each with the channel’s time', async () => {
    const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
    const body = alice.textMessage(conversation, { channels: ['telegram'] });
    assert.equal((await alice.post('/v1/messages', body)).status, 200);
    const seen = await waitFor(async () => {
      const found = (await alice.get(`/v1/messages/${body.message_id}`)).body;
      return found.status === 'read' && found;
    }, { what: 'the telegram message read' });
    const steps = seen.deliveries[0].history;
    assert.deepEqual(steps.map((step: { status: string }) => step.status), ['pending', 'sent', 'delivered', 'read']);
    assert.ok(steps.slice(1).every((step: { channel_at: string | null }) => step.channel_at !== null));
    assert.ok(Date.parse(steps[3].channel_at) > Date.parse(steps[2].channel_at));
    assert.deepEqual(seen.status_history.map((step: { status: string }) => step.status), ['accepted', 'in_transit', 'delivered', 'read']);
  });

});
