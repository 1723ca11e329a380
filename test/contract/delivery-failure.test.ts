import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient, waitFor, type Session } from '../support/api-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';

interface HistoryEntry {
  status: string;
  reason: string | null;
  at: string;
}
interface DeliveryEntry {
  channel: string;
  recipient_id: string;
  status: string;
  reason: string | null;
}

for (const mode of testModes) describe(`delivery failures (instagram always fails) [${mode}]`, () => {
  let hub: HubProcess;
  let alice: Session;
  let bob: Session;

  before(async () => {
    hub = await HubProcess.start({ mode, env: { CHAT4ALL_MOCK_FAILURE_RATE: 'instagram=1' } });
    const client = new ApiClient(hub.url);
    [alice, bob] = await Promise.all([client.login('user1'), client.login('user2')]);
  });
  after(() => hub.stop());

  const newConversation = () => alice.createConversation('private', [alice.userId, bob.userId]);
  const detail = async (messageId: string) => (await alice.get(`/v1/messages/${messageId}`)).body;
  /** Sends a message and waits for it to reach a final status. */
  async function sendAndSettle(conversationId: string, channels: string[]) {
    const body = alice.textMessage(conversationId, { channels });
    const response = await alice.post('/v1/messages', body);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const message = await waitFor(async () => {
      const current = await detail(body.message_id as string);
      return ['delivered', 'failed'].includes(current.status) && current;
    }, { what: `message ${body.message_id} settled` });
    return { messageId: body.message_id as string, message };
  }
  /**
   * Sends a whatsapp message on the same conversation and waits for its log line: anything the pipeline
   * would print for earlier messages of the conversation has been printed by then.
   */
  async function flush(conversationId: string): Promise<void> {
    const { messageId, message } = await sendAndSettle(conversationId, ['whatsapp']);
    assert.equal(message.status, 'delivered');
    await waitFor(async () => hub.linesWith(`INFO: Mensagem ${messageId}`).length > 0, { what: 'the flush marker line' });
  }

  it('still delivers a message on whatsapp', async () => {
    const { messageId, message } = await sendAndSettle(await newConversation(), ['whatsapp']);
    assert.equal(message.status, 'delivered');
    const line = `INFO: Mensagem ${messageId} enviada para o usuário ${bob.userId} no WhatsApp`;
    await waitFor(async () => hub.linesWith(line).length === 1, { what: line });
  });

  it('marks a message on instagram failed with a reason in its history', async () => {
    const { message } = await sendAndSettle(await newConversation(), ['instagram']);
    assert.equal(message.status, 'failed');
    const failed = (message.status_history as HistoryEntry[]).filter((h) => h.status === 'failed');
    assert.equal(failed.length, 1);
    assert.equal(typeof failed[0]!.reason, 'string');
    assert.ok(failed[0]!.reason!.length > 0, 'the failure has a reason');
  });

  it('records the failed instagram delivery with a reason', async () => {
    const { message } = await sendAndSettle(await newConversation(), ['instagram']);
    const deliveries = message.deliveries as DeliveryEntry[];
    assert.equal(deliveries.length, 1);
    assert.equal(deliveries[0]!.channel, 'instagram');
    assert.equal(deliveries[0]!.recipient_id, bob.userId);
    assert.equal(deliveries[0]!.status, 'failed');
    assert.ok(deliveries[0]!.reason && deliveries[0]!.reason.length > 0, 'the delivery has a reason');
  });

  it('prints no delivery line for a failed instagram message', async () => {
    const conversationId = await newConversation();
    const { messageId, message } = await sendAndSettle(conversationId, ['instagram']);
    assert.equal(message.status, 'failed');
    await flush(conversationId);
    assert.deepEqual(hub.linesWith(`INFO: Mensagem ${messageId}`), []);
  });

  it('marks a message on "all" failed when instagram fails, while its whatsapp delivery is delivered', async () => {
    const { message } = await sendAndSettle(await newConversation(), ['all']);
    assert.equal(message.status, 'failed');
    const byChannel = new Map((message.deliveries as DeliveryEntry[]).map((d) => [d.channel, d]));
    assert.equal(byChannel.size, 2);
    assert.equal(byChannel.get('whatsapp')?.status, 'delivered');
    assert.equal(byChannel.get('whatsapp')?.reason, null);
    assert.equal(byChannel.get('instagram')?.status, 'failed');
    assert.ok(byChannel.get('instagram')?.reason, 'the instagram delivery has a reason');
  });

  it('prints the WhatsApp line exactly once and no Instagram line for a message on "all"', async () => {
    const conversationId = await newConversation();
    const { messageId } = await sendAndSettle(conversationId, ['all']);
    const line = `INFO: Mensagem ${messageId} enviada para o usuário ${bob.userId} no WhatsApp`;
    await waitFor(async () => hub.linesWith(line).length > 0, { what: line });
    await flush(conversationId);
    assert.deepEqual(hub.linesWith(`INFO: Mensagem ${messageId}`), [line]);
  });

  it('moves a failing message only forward: accepted, in_transit, failed, and nothing after', async () => {
    const conversationId = await newConversation();
    const { messageId, message } = await sendAndSettle(conversationId, ['all']);
    const history = message.status_history as HistoryEntry[];
    assert.deepEqual(history.map((h) => h.status), ['accepted', 'in_transit', 'failed']);
    for (let i = 1; i < history.length; i++) {
      assert.ok(Date.parse(history[i]!.at) >= Date.parse(history[i - 1]!.at), 'timestamps never go back');
    }
    // later traffic on the same conversation does not move the settled message again
    await flush(conversationId);
    const later = await detail(messageId);
    assert.equal(later.status, 'failed');
    assert.deepEqual(later.status_history, message.status_history);
    assert.deepEqual(later.deliveries, message.deliveries);
  });
});
