import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient, waitFor, type Session } from '../support/api-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';

for (const mode of testModes) describe(`routing and delivery [${mode}]`, () => {
  let hub: HubProcess;
  let alice: Session;
  let bob: Session;
  let carol: Session;

  before(async () => {
    hub = await HubProcess.start({ mode });
    const client = new ApiClient(hub.url);
    [alice, bob, carol] = await Promise.all([client.login('user1'), client.login('user2'), client.login('user3')]);
  });
  after(() => hub.stop());

  const detail = async (session: Session, messageId: string) => (await session.get(`/v1/messages/${messageId}`)).body;
  const delivered = (session: Session, messageId: string) =>
    waitFor(async () => {
      const message = await detail(session, messageId);
      return message.status === 'delivered' && message;
    }, { what: `message ${messageId} delivered` });

  it('delivers a whatsapp message to the other member and logs the seed line once', async () => {
    const conversationId = await alice.createConversation('private', [alice.userId, bob.userId]);
    const body = alice.textMessage(conversationId, { channels: ['whatsapp'] });
    const sent = await alice.post('/v1/messages', body);
    assert.equal(sent.status, 200);
    assert.equal(sent.body.status, 'accepted');
    const message = await delivered(alice, body.message_id as string);
    assert.deepEqual(message.status_history.map((h: { status: string }) => h.status), ['accepted', 'in_transit', 'delivered']);
    assert.deepEqual(
      message.deliveries.map((d: { channel: string; recipient_id: string; status: string }) => [d.channel, d.recipient_id, d.status]),
      [['whatsapp', bob.userId, 'delivered']],
    );
    const line = `INFO: Mensagem ${body.message_id} enviada para o usuário ${bob.userId} no WhatsApp`;
    await waitFor(async () => hub.linesWith(line).length === 1, { what: 'the WhatsApp log line' });
    assert.equal(hub.linesWith(`INFO: Mensagem ${body.message_id}`).length, 1);
  });

  it('sends "all" to every channel and every recipient of a group', async () => {
    const conversationId = await alice.createConversation('group', [alice.userId, bob.userId, carol.userId]);
    const body = alice.textMessage(conversationId, { channels: ['all'] });
    assert.equal((await alice.post('/v1/messages', body)).status, 200);
    const message = await delivered(bob, body.message_id as string);
    assert.equal(message.deliveries.length, 4);
    for (const recipient of [bob, carol]) {
      for (const channel of ['WhatsApp', 'Instagram']) {
        const line = `INFO: Mensagem ${body.message_id} enviada para o usuário ${recipient.userId} no ${channel}`;
        await waitFor(async () => hub.linesWith(line).length === 1, { what: line });
      }
    }
    assert.equal(hub.linesWith(`enviada para o usuário ${alice.userId}`).length, 0, 'the sender receives nothing');
  });
});
