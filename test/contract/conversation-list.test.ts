import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient, type Session } from '../support/api-client.ts';
import { assertProblem } from '../support/assertions.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';

for (const mode of testModes) describe(`GET /v1/conversations [${mode}]`, () => {
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

  const send = async (from: Session, conversation: string, text: string) => {
    const response = await from.post('/v1/messages', from.textMessage(conversation, { payload: { type: 'text', text } }));
    assert.equal(response.status, 200);
    return response.body.seq as number;
  };
  const list = (session: Session, query = '') => session.get(`/v1/conversations${query}`);

  it('lists the caller’s conversations, most recent activity first, with the last message and unread count', async () => {
    const older = await dave.createConversation('private', [dave.userId, carol.userId]);
    const newer = await dave.createConversation('group', [dave.userId, carol.userId, bob.userId], { name: 'Team' });
    await send(carol, older, 'old news');
    await send(carol, newer, 'first');
    await send(bob, newer, 'second');
    await send(carol, older, 'latest'); // older is now the most recent

    const response = await list(dave);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const ids = response.body.conversations.map((c: { conversation_id: string }) => c.conversation_id);
    assert.deepEqual(ids, [older, newer]);
    const [top, next] = response.body.conversations;
    assert.equal(top.last_message.payload.text, 'latest');
    assert.equal(top.last_message.from, carol.userId);
    assert.equal(top.last_message.seq, 2);
    assert.equal(top.unread_count, 2);
    assert.equal(next.unread_count, 2);
    assert.equal(next.metadata.name, 'Team');
    assert.equal(next.type, 'group');
    assert.ok(Date.parse(top.last_activity_at) >= Date.parse(next.last_activity_at));
    assert.equal(response.body.next_cursor, null);
  });

  it('counts only messages from others after the caller’s read pointer', async () => {
    const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
    await send(bob, conversation, 'one');
    const two = await send(bob, conversation, 'two');
    await send(bob, conversation, 'three');
    await send(alice, conversation, 'mine');
    const unread = async () =>
      (await list(alice)).body.conversations.find((c: { conversation_id: string }) => c.conversation_id === conversation).unread_count;
    assert.equal(await unread(), 3);
    assert.equal((await alice.post(`/v1/conversations/${conversation}/read`, { up_to_seq: two })).status, 200);
    assert.equal(await unread(), 1);
  });

  it('shows a conversation without messages with last_message null, by its creation time', async () => {
    const conversation = await carol.createConversation('private', [carol.userId, alice.userId]);
    const response = await list(carol);
    const found = response.body.conversations.find((c: { conversation_id: string }) => c.conversation_id === conversation);
    assert.equal(found.last_message, null);
    assert.equal(found.unread_count, 0);
    assert.equal(found.last_activity_at, found.created_at);
  });

  it('pages by cursor through every conversation exactly once, in activity order', async () => {
    const created: string[] = [];
    // Groups: private conversations of one pair are one (get-or-create).
    for (let i = 0; i < 7; i++) created.push(await bob.createConversation('group', [bob.userId, carol.userId, dave.userId]));
    for (const conversation of created) await send(bob, conversation, 'hi');
    const expected = (await list(bob, '?limit=100')).body.conversations.map((c: { conversation_id: string }) => c.conversation_id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await list(bob, `?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(response.status, 200);
      assert.ok(response.body.conversations.length <= 3);
      seen.push(...response.body.conversations.map((c: { conversation_id: string }) => c.conversation_id));
      cursor = response.body.next_cursor;
    } while (cursor);
    assert.deepEqual(seen, expected);
    assert.deepEqual(seen.slice(0, 7), [...created].reverse());
  });

  it('answers 400 naming cursor for a cursor it did not issue, and for a bad limit', async () => {
    for (const cursor of ['nonsense', Buffer.from('[1,2]').toString('base64url')]) {
      const response = await list(alice, `?cursor=${cursor}`);
      assertProblem(response, 400, 'VALIDATION_FAILED');
      assert.ok(response.body.field_errors.cursor);
    }
    assertProblem(await list(alice, '?limit=0'), 400, 'VALIDATION_FAILED');
    assertProblem(await list(alice, '?limit=101'), 400, 'VALIDATION_FAILED');
  });

  it('answers 401 without a token', async () => {
    assertProblem(await alice.client.request('GET', '/v1/conversations'), 401, 'TOKEN_MISSING');
  });
});
