import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient, Session, waitFor } from '../support/api-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';

interface Sent {
  messageId: string;
  seq: number;
  text: string;
}

/**
 * One graceful restart, done in `before`: a first hub accepts and delivers some messages, accepts a burst
 * it may not have finished delivering, and is stopped with SIGTERM; a second hub opens the same data dir.
 * Each test then checks one thing the restart must preserve.
 */
for (const mode of testModes) describe(`graceful restart on the same data dir [${mode}]`, () => {
  let dataDir: string;
  let first: HubProcess;
  let second: HubProcess;
  let exitCode: number | NodeJS.Signals | null;
  let oldAlice: Session;
  let alice: Session;
  let bob: Session;
  /** The burst goes to carol: a second private conversation of alice and bob would be the first again (get-or-create). */
  let carol: Session;
  let settledConversation: string;
  let burstConversation: string;
  const settled: Sent[] = [];
  const burst: Sent[] = [];

  async function send(session: Session, conversationId: string, text: string): Promise<Sent> {
    const body = session.textMessage(conversationId, { payload: { type: 'text', text } });
    const response = await session.post('/v1/messages', body);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return { messageId: body.message_id as string, seq: response.body.seq, text };
  }
  const status = async (session: Session, messageId: string): Promise<string> =>
    (await session.get(`/v1/messages/${messageId}`)).body.status;
  const allDelivered = (session: Session, conversationId: string, count: number) =>
    waitFor(async () => {
      const page = (await session.get(`/v1/conversations/${conversationId}/messages?limit=100`)).body;
      return page.total === count && page.messages.every((m: { status: string }) => m.status === 'delivered');
    }, { what: `${count} messages of ${conversationId} delivered`, timeoutMs: 30_000 });
  /** Delivery lines for a message in both runs' output. */
  const linesFor = (messageId: string) => [
    ...first.linesWith(`INFO: Mensagem ${messageId} `),
    ...second.linesWith(`INFO: Mensagem ${messageId} `),
  ];

  before(async () => {
    dataDir = await HubProcess.freshDataDir(mode, 'chat4all-restart-');
    first = await HubProcess.start({ mode, dataDir });
    const client = new ApiClient(first.url);
    [oldAlice, bob, carol] = await Promise.all([client.login('user1'), client.login('user2'), client.login('user3')]);
    settledConversation = await oldAlice.createConversation('private', [oldAlice.userId, bob.userId]);
    burstConversation = await oldAlice.createConversation('private', [oldAlice.userId, carol.userId]);
    for (let i = 1; i <= 3; i++) settled.push(await send(oldAlice, settledConversation, `before ${i}`));
    await allDelivered(oldAlice, settledConversation, 3);
    // accepted just before the stop: delivery may be cut short by it
    burst.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => send(oldAlice, burstConversation, `burst ${i}`)))));
    exitCode = await first.kill('SIGTERM');

    second = await HubProcess.start({ mode, dataDir });
    const again = new ApiClient(second.url);
    alice = await again.login('user1');
    // sessions from before the restart, pointed at the new hub
    oldAlice = new Session(again, oldAlice.token, oldAlice.userId, oldAlice.username);
    bob = new Session(again, bob.token, bob.userId, bob.username);
  });
  after(async () => {
    await first?.kill('SIGTERM');
    await second?.kill('SIGTERM');
    if (dataDir) await HubProcess.removeState(dataDir, mode);
  });

  it('exits with code 0 on SIGTERM', () => {
    assert.equal(exitCode, 0);
  });

  it('lets the same users log in again with the same ids', async () => {
    assert.equal(alice.userId, oldAlice.userId);
    const me = await alice.get('/v1/users/me');
    assert.equal(me.status, 200);
    assert.equal(me.body.user_id, oldAlice.userId);
  });

  it('accepts tokens issued before the restart', async () => {
    const me = await oldAlice.get('/v1/users/me');
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.user_id, oldAlice.userId);
  });

  it('still lists the messages from before the restart, with the same seqs', async () => {
    const page = await alice.get(`/v1/conversations/${settledConversation}/messages`);
    assert.equal(page.status, 200);
    assert.equal(page.body.total, 3);
    assert.deepEqual(
      page.body.messages.map((m: { message_id: string; seq: number; payload: { text: string } }) => [m.message_id, m.seq, m.payload.text]),
      settled.map((m) => [m.messageId, m.seq, m.text]),
    );
    for (const message of settled) assert.equal(await status(alice, message.messageId), 'delivered');
  });

  it('answers a replay of a message sent before the restart with its original seq', async () => {
    const original = settled[0]!;
    const body = alice.textMessage(settledConversation, {
      message_id: original.messageId,
      payload: { type: 'text', text: original.text },
    });
    const replay = await alice.post('/v1/messages', body);
    assert.equal(replay.status, 200, JSON.stringify(replay.body));
    assert.equal(replay.body.seq, original.seq);
    assert.equal(replay.headers.get('idempotent-replay'), 'true');
  });

  it('delivers every message accepted just before the stop, each once per recipient', async () => {
    await allDelivered(alice, burstConversation, 20);
    for (const message of burst) {
      const line = `INFO: Mensagem ${message.messageId} enviada para o usuário ${carol.userId} no WhatsApp`;
      await waitFor(async () => linesFor(message.messageId).length > 0, { what: line });
      assert.deepEqual(linesFor(message.messageId), [line]);
    }
  });

  it('continues the seq of a conversation after the restart and delivers new messages', async () => {
    const next = await send(alice, settledConversation, 'after restart');
    assert.equal(next.seq, Math.max(...settled.map((m) => m.seq)) + 1);
    await waitFor(async () => (await status(alice, next.messageId)) === 'delivered', { what: 'the new message delivered' });
    const line = `INFO: Mensagem ${next.messageId} enviada para o usuário ${bob.userId} no WhatsApp`;
    await waitFor(async () => second.linesWith(line).length === 1, { what: line });
  });
});
