import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ApiClient, waitFor, type Session } from '../support/api-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';

/**
 * UUIDs are case-insensitive, and the hub takes them in either case; it answers, stores, lists and logs them in
 * one form, lower case, so a client comparing ids as text (or a log search) never sees one id as two.
 */
for (const mode of testModes) describe(`ids in canonical lower-case form [${mode}]`, () => {
  let hub: HubProcess;
  let alice: Session;
  let bob: Session;
  let carol: Session;

  before(async () => {
    // info: the request lines, which name the message a request concerns
    hub = await HubProcess.start({ mode, env: { LOG_LEVEL: 'info' } });
    const client = new ApiClient(hub.url);
    [alice, bob, carol] = await Promise.all([client.login('user1'), client.login('user2'), client.login('user3')]);
  });
  after(() => hub.stop());

  it('answers, replays and reads a message sent with an upper-case message_id and conversation_id in lower case', async () => {
    const conversationId = await alice.createConversation('private', [alice.userId, bob.userId]);
    const messageId = randomUUID();
    const body = alice.textMessage(conversationId.toUpperCase(), { message_id: messageId.toUpperCase() });

    const accepted = await alice.post('/v1/messages', body);
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.equal(accepted.body.message_id, messageId);
    assert.equal(accepted.body.conversation_id, conversationId);

    const replayed = await alice.post('/v1/messages', body);
    assert.equal(replayed.status, 200, JSON.stringify(replayed.body));
    assert.equal(replayed.headers.get('idempotent-replay'), 'true');
    assert.deepEqual(replayed.body, accepted.body, 'the repeat answers what the first request did');
    // the same message with its ids in lower case is the same request, not a conflicting one
    const lowerCase = await alice.post('/v1/messages', { ...body, message_id: messageId, conversation_id: conversationId });
    assert.equal(lowerCase.status, 200, JSON.stringify(lowerCase.body));
    assert.deepEqual(lowerCase.body, accepted.body);

    for (const id of [messageId.toUpperCase(), messageId]) {
      const read = await alice.get(`/v1/messages/${id}`);
      assert.equal(read.status, 200, JSON.stringify(read.body));
      assert.equal(read.body.message_id, messageId);
      assert.equal(read.body.conversation_id, conversationId);
    }
    const listed = await alice.get(`/v1/conversations/${conversationId.toUpperCase()}/messages`);
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.equal(listed.body.conversation_id, conversationId);
    assert.deepEqual(listed.body.messages.map((m: { message_id: string }) => m.message_id), [messageId]);
    // the log names it as the answers do: the request lines and the connector's delivery line
    assert.ok(hub.linesWith(`"message_id":"${messageId}"`).length >= 5, 'each request line names the message');
    assert.deepEqual(hub.linesWith(messageId.toUpperCase()).filter((line) => !line.includes(`"url":`)), [], 'only the urls the client sent are upper case');
    await waitFor(async () => hub.linesWith(`INFO: Mensagem ${messageId} enviada`).length === 1, { what: "the connector's line" });
  });

  it('takes an id in the urn:uuid: form the uuid format allows as the plain id', async () => {
    const conversationId = await alice.createConversation('private', [alice.userId, bob.userId]);
    const messageId = randomUUID();
    const sent = await alice.post('/v1/messages', alice.textMessage(`urn:uuid:${conversationId}`, { message_id: `URN:UUID:${messageId.toUpperCase()}` }));
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    assert.equal(sent.body.message_id, messageId);
    assert.equal(sent.body.conversation_id, conversationId);
    const read = await alice.get(`/v1/messages/urn:uuid:${messageId}`);
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.equal(read.body.message_id, messageId);
  });

  it('lists the members of a conversation created with upper-case ids in lower case, and takes upper-case from and to', async () => {
    const members = [alice.userId, bob.userId, carol.userId];
    const created = await alice.post('/v1/conversations', { type: 'group', members: members.map((id) => id.toUpperCase()) });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.members, members);
    const conversationId: string = created.body.conversation_id;

    const read = await bob.get(`/v1/conversations/${conversationId.toUpperCase()}`);
    assert.equal(read.status, 200, JSON.stringify(read.body));
    assert.equal(read.body.conversation_id, conversationId);
    assert.deepEqual(read.body.members, members);

    const body = alice.textMessage(conversationId, { from: alice.userId.toUpperCase(), to: carol.userId.toUpperCase() });
    const sent = await alice.post('/v1/messages', body);
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const message = (await carol.get(`/v1/messages/${body.message_id}`)).body;
    assert.equal(message.from, alice.userId);
    assert.equal(message.to, carol.userId);
  });
});
