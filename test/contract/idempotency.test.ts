import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient, waitFor, type Session } from '../support/api-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';

for (const mode of testModes) describe(`idempotent sends (message_id is the idempotency key) [${mode}]`, () => {
  let hub: HubProcess;
  let alice: Session;
  let bob: Session;

  before(async () => {
    hub = await HubProcess.start({ mode });
    const client = new ApiClient(hub.url);
    [alice, bob] = await Promise.all([client.login('user1'), client.login('user2')]);
  });
  after(() => hub.stop());

  // Their private conversation, the same each time (get-or-create): tests count the messages they add to it.
  const newConversation = () => alice.createConversation('private', [alice.userId, bob.userId]);
  const total = async (conversationId: string): Promise<number> => {
    const response = await alice.get(`/v1/conversations/${conversationId}/messages`);
    assert.equal(response.status, 200);
    return response.body.total;
  };
  const delivered = (messageId: string) =>
    waitFor(async () => {
      const message = (await alice.get(`/v1/messages/${messageId}`)).body;
      return message.status === 'delivered' && message;
    }, { what: `message ${messageId} delivered` });

  it('answers a repeated request with the same body and idempotent-replay: true', async () => {
    const body = alice.textMessage(await newConversation());
    const first = await alice.post('/v1/messages', body);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('idempotent-replay'), null, 'the first answer is not a replay');
    const again = await alice.post('/v1/messages', body);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, first.body);
    assert.equal(again.headers.get('idempotent-replay'), 'true');
  });

  it('stores nothing new for a repeated request and delivers the message once per recipient', async () => {
    const conversationId = await newConversation();
    const before = await total(conversationId);
    const body = alice.textMessage(conversationId);
    const first = await alice.post('/v1/messages', body);
    assert.equal(first.status, 200);
    assert.equal(await total(conversationId), before + 1);
    for (let i = 0; i < 3; i++) assert.equal((await alice.post('/v1/messages', body)).status, 200);
    assert.equal(await total(conversationId), before + 1);

    const message = await delivered(body.message_id as string);
    assert.equal(message.deliveries.length, 1);
    assert.deepEqual(message.status_history.map((h: { status: string }) => h.status), ['accepted', 'in_transit', 'delivered']);
    const line = `INFO: Mensagem ${body.message_id} enviada para o usuário ${bob.userId} no WhatsApp`;
    await waitFor(async () => hub.linesWith(line).length > 0, { what: line });
    // a later message on the same conversation is delivered after any duplicate would have been
    const marker = alice.textMessage(conversationId);
    assert.equal((await alice.post('/v1/messages', marker)).status, 200);
    await delivered(marker.message_id as string);
    await waitFor(async () => hub.linesWith(`INFO: Mensagem ${marker.message_id}`).length > 0, { what: 'the marker line' });
    assert.equal(hub.linesWith(`INFO: Mensagem ${body.message_id}`).length, 1);
  });

  it('answers 20 concurrent identical requests alike and stores exactly one message', async () => {
    const conversationId = await newConversation();
    const before = await total(conversationId);
    const body = alice.textMessage(conversationId);
    const responses = await Promise.all(Array.from({ length: 20 }, () => alice.post('/v1/messages', body)));
    for (const response of responses) {
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.deepEqual(response.body, responses[0]!.body);
    }
    assert.equal(responses[0]!.body.seq, before + 1);
    assert.equal(
      responses.filter((response) => response.headers.get('idempotent-replay') === 'true').length,
      19,
      'all but one answer are replays',
    );
    assert.equal(await total(conversationId), before + 1);
    await delivered(body.message_id as string);
  });

  it('answers 409 IDEMPOTENCY_CONFLICT for the same message_id with a different text', async () => {
    const body = alice.textMessage(await newConversation(), { payload: { type: 'text', text: 'original' } });
    assert.equal((await alice.post('/v1/messages', body)).status, 200);
    const conflict = await alice.post('/v1/messages', { ...body, payload: { type: 'text', text: 'changed' } });
    assert.equal(conflict.status, 409, JSON.stringify(conflict.body));
    assert.equal(conflict.body.error_code, 'IDEMPOTENCY_CONFLICT');
    assert.ok(conflict.body.detail);
    const stored = (await alice.get(`/v1/messages/${body.message_id}`)).body;
    assert.equal(stored.payload.text, 'original', 'the stored message is unchanged');
  });

  it('answers 409 IDEMPOTENCY_CONFLICT for the same message_id with different channels', async () => {
    const body = alice.textMessage(await newConversation(), { channels: ['whatsapp'] });
    assert.equal((await alice.post('/v1/messages', body)).status, 200);
    const conflict = await alice.post('/v1/messages', { ...body, channels: ['instagram'] });
    assert.equal(conflict.status, 409, JSON.stringify(conflict.body));
    assert.equal(conflict.body.error_code, 'IDEMPOTENCY_CONFLICT');
    assert.deepEqual((await alice.get(`/v1/messages/${body.message_id}`)).body.channels, ['whatsapp']);
  });

  it('answers a replay after delivery with the original accepted body', async () => {
    const conversationId = await newConversation();
    const before = await total(conversationId);
    const body = alice.textMessage(conversationId);
    const first = await alice.post('/v1/messages', body);
    assert.equal(first.status, 200);
    await delivered(body.message_id as string);
    const again = await alice.post('/v1/messages', body);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, first.body);
    assert.equal(again.body.status, 'accepted');
    assert.equal(again.headers.get('idempotent-replay'), 'true');
    assert.equal(await total(conversationId), before + 1);
  });
});
