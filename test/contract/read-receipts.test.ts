import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient, waitFor, type Session } from '../support/api-client.ts';
import { assertProblem } from '../support/assertions.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';

for (const mode of testModes) describe(`read receipts [${mode}]`, () => {
  let hub: HubProcess;
  let alice: Session;
  let bob: Session;
  let carol: Session;
  let dave: Session;

  before(async () => {
    hub = await HubProcess.start({ mode });
    const client = new ApiClient(hub.url);
    [alice, bob, carol, dave] = await Promise.all([
      client.login('user1'),
      client.login('user2'),
      client.login('user3'),
      client.login('user4'),
    ]);
  });
  after(() => hub.stop());

  async function send(from: Session, conversation: string, channels = ['whatsapp']): Promise<{ id: string; seq: number }> {
    const body = from.textMessage(conversation, { channels });
    const response = await from.post('/v1/messages', body);
    assert.equal(response.status, 200);
    return { id: body.message_id as string, seq: response.body.seq };
  }

  const message = async (session: Session, id: string) => (await session.get(`/v1/messages/${id}`)).body;
  const until = (session: Session, id: string, status: string) =>
    waitFor(async () => {
      const found = await message(session, id);
      return found.status === status && found;
    }, { what: `message ${id} ${status}` });
  const read = (session: Session, conversation: string, body: unknown) => session.post(`/v1/conversations/${conversation}/read`, body);

  it('marks every message up to up_to_seq read by the caller, and the sender sees it', async () => {
    const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
    const first = await send(alice, conversation);
    const second = await send(alice, conversation);
    const third = await send(alice, conversation);
    await until(alice, third.id, 'delivered');

    const response = await read(bob, conversation, { up_to_seq: second.seq });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.deepEqual(response.body, {
      conversation_id: conversation,
      user_id: bob.userId,
      up_to_seq: second.seq,
      messages_marked_read: 2,
    });

    for (const id of [first.id, second.id]) {
      const seen = await message(alice, id);
      assert.equal(seen.status, 'read');
      assert.deepEqual(seen.status_history.map((step: { status: string }) => step.status), ['accepted', 'in_transit', 'delivered', 'read']);
      const delivery = seen.deliveries[0];
      assert.equal(delivery.status, 'read');
      assert.deepEqual(delivery.history.map((step: { status: string }) => step.status), ['pending', 'sent', 'delivered', 'read']);
    }
    assert.equal((await message(alice, third.id)).status, 'delivered');
  });

  it('marks the reader read on every channel the message went to', async () => {
    const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
    const sent = await send(alice, conversation, ['all']);
    await until(alice, sent.id, 'delivered');
    await read(bob, conversation, { up_to_seq: sent.seq });
    const seen = await message(alice, sent.id);
    assert.equal(seen.status, 'read');
    assert.deepEqual(seen.deliveries.map((d: { status: string }) => d.status), ['read', 'read']);
    assert.deepEqual(seen.delivery_summary, { total: 2, pending: 0, sent: 0, delivered: 0, read: 2, failed: 0 });
  });

  it('keeps a group message delivered until every recipient read it', async () => {
    const group = await alice.createConversation('group', [alice.userId, bob.userId, carol.userId]);
    const sent = await send(alice, group);
    await until(alice, sent.id, 'delivered');
    await read(bob, group, { up_to_seq: sent.seq });
    let seen = await message(alice, sent.id);
    assert.equal(seen.status, 'delivered');
    assert.deepEqual(seen.delivery_summary, { total: 2, pending: 0, sent: 0, delivered: 1, read: 1, failed: 0 });
    await read(carol, group, { up_to_seq: sent.seq });
    seen = await message(alice, sent.id);
    assert.equal(seen.status, 'read');
  });

  it('never moves the read pointer back', async () => {
    const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
    await send(alice, conversation);
    const second = await send(alice, conversation);
    await until(alice, second.id, 'delivered');
    assert.equal((await read(bob, conversation, { up_to_seq: second.seq })).body.up_to_seq, second.seq);
    const back = await read(bob, conversation, { up_to_seq: 1 });
    assert.equal(back.status, 200);
    assert.equal(back.body.up_to_seq, second.seq);
    assert.equal(back.body.messages_marked_read, 0);
  });

  it('does not read past the last message: a later message stays unread', async () => {
    const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
    const first = await send(alice, conversation);
    const response = await read(bob, conversation, { up_to_seq: 1_000 });
    assert.equal(response.body.up_to_seq, first.seq);
    const later = await send(alice, conversation);
    await until(alice, later.id, 'delivered');
    assert.equal((await message(alice, later.id)).status, 'delivered');
  });

  it('marks a message read once it is handed over when the receipt came first', async () => {
    const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
    const sent = await send(alice, conversation);
    // The receipt may come before the router or connector got to the message: it is applied when they do.
    await read(bob, conversation, { up_to_seq: sent.seq });
    await until(alice, sent.id, 'read');
  });

  it('changes nothing for the caller’s own messages', async () => {
    const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
    const sent = await send(alice, conversation);
    await until(alice, sent.id, 'delivered');
    const response = await read(alice, conversation, { up_to_seq: sent.seq });
    assert.equal(response.body.messages_marked_read, 0);
    assert.equal((await message(alice, sent.id)).status, 'delivered');
  });

  it('answers 403 to a non-member, 404 for an unknown conversation, 400 naming up_to_seq', async () => {
    const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
    assertProblem(await read(dave, conversation, { up_to_seq: 1 }), 403, 'NOT_A_MEMBER');
    assertProblem(await read(bob, '00000000-0000-4000-8000-000000000000', { up_to_seq: 1 }), 404, 'CONVERSATION_NOT_FOUND');
    for (const body of [{}, { up_to_seq: -1 }, { up_to_seq: 'x' }, { up_to_seq: 1.5 }]) {
      const response = await read(bob, conversation, body);
      assertProblem(response, 400, 'VALIDATION_FAILED');
      assert.ok(response.body.field_errors.up_to_seq, JSON.stringify(body));
    }
  });
});
