import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ApiClient, type ApiResponse, type Session } from '../support/api-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';
import { assertProblem } from '../support/assertions.ts';

for (const mode of testModes) describe(`POST /v1/messages [${mode}]`, () => {
  let hub: HubProcess;
  let alice: Session;
  let bob: Session;
  let carol: Session;
  let privateId: string;

  before(async () => {
    hub = await HubProcess.start({ mode });
    const client = new ApiClient(hub.url);
    [alice, bob, carol] = await Promise.all([client.login('user1'), client.login('user2'), client.login('user3')]);
    privateId = await alice.createConversation('private', [alice.userId, bob.userId]);
  });
  after(() => hub.stop());

  /** A rejected message must leave no trace: its id is unknown afterwards. */
  async function assertNotStored(messageId: unknown): Promise<void> {
    const response = await alice.get(`/v1/messages/${String(messageId)}`);
    assert.equal(response.status, 404, `message ${String(messageId)} must not be stored`);
  }

  it('accepts a valid text message with 200 {status, message_id, conversation_id, seq, created_at}', async () => {
    const body = alice.textMessage(privateId);
    const before = Date.now();
    const response = await alice.post('/v1/messages', body);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.deepEqual(Object.keys(response.body).sort(), ['conversation_id', 'created_at', 'message_id', 'seq', 'status']);
    assert.equal(response.body.status, 'accepted');
    assert.equal(response.body.message_id, body.message_id);
    assert.equal(response.body.conversation_id, privateId);
    assert.ok(Number.isInteger(response.body.seq) && response.body.seq >= 1, `seq ${response.body.seq}`);
    const createdAt = Date.parse(response.body.created_at);
    assert.ok(!Number.isNaN(createdAt), `created_at ${response.body.created_at} is a timestamp`);
    assert.ok(createdAt >= before - 60_000 && createdAt <= Date.now() + 60_000, 'created_at is about now');
  });

  it('defaults priority to normal', async () => {
    const body = alice.textMessage(privateId);
    assert.equal('priority' in body, false);
    assert.equal((await alice.post('/v1/messages', body)).status, 200);
    const stored = await alice.get(`/v1/messages/${body.message_id}`);
    assert.equal(stored.status, 200);
    assert.equal(stored.body.priority, 'normal');
  });

  it('keeps an explicit priority', async () => {
    const body = alice.textMessage(privateId, { priority: 'high' });
    assert.equal((await alice.post('/v1/messages', body)).status, 200);
    assert.equal((await alice.get(`/v1/messages/${body.message_id}`)).body.priority, 'high');
  });

  it('accepts a message without `to` and stores to as null', async () => {
    const body = alice.textMessage(privateId);
    assert.equal('to' in body, false);
    assert.equal((await alice.post('/v1/messages', body)).status, 200);
    const stored = await alice.get(`/v1/messages/${body.message_id}`);
    assert.equal(stored.body.to, null);
  });

  it('accepts `to` naming a member of the conversation', async () => {
    const body = alice.textMessage(privateId, { to: bob.userId });
    const response = await alice.post('/v1/messages', body);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal((await alice.get(`/v1/messages/${body.message_id}`)).body.to, bob.userId);
  });

  it('rejects `to` naming a user outside the conversation with 400 naming `to`', async () => {
    const body = alice.textMessage(privateId, { to: carol.userId });
    const response = await alice.post('/v1/messages', body);
    assertProblem(response, 400);
    assert.ok(response.body.field_errors?.to, `field_errors names to: ${JSON.stringify(response.body)}`);
    await assertNotStored(body.message_id);
  });

  it('rejects `from` other than the caller with 403', async () => {
    const body = alice.textMessage(privateId, { from: bob.userId });
    const response = await alice.post('/v1/messages', body);
    assertProblem(response, 403, 'SENDER_MISMATCH');
    await assertNotStored(body.message_id);
  });

  it('answers 404 CONVERSATION_NOT_FOUND for an unknown conversation', async () => {
    const body = alice.textMessage(randomUUID());
    const response = await alice.post('/v1/messages', body);
    assertProblem(response, 404, 'CONVERSATION_NOT_FOUND');
    await assertNotStored(body.message_id);
  });

  it('answers 403 NOT_A_MEMBER when the caller is not a member of the conversation', async () => {
    const body = carol.textMessage(privateId);
    const response = await carol.post('/v1/messages', body);
    assertProblem(response, 403, 'NOT_A_MEMBER');
    await assertNotStored(body.message_id);
  });

  it('rejects a body missing conversation_id and from with 400 listing both fields', async () => {
    const body = alice.textMessage(privateId);
    delete body.conversation_id;
    delete body.from;
    const response = await alice.post('/v1/messages', body);
    assertProblem(response, 400, 'VALIDATION_FAILED');
    assert.ok(response.body.field_errors?.conversation_id, `conversation_id named: ${JSON.stringify(response.body)}`);
    assert.ok(response.body.field_errors?.from, `from named: ${JSON.stringify(response.body)}`);
    await assertNotStored(body.message_id);
  });

  for (const channels of [['whatsapp'], ['instagram'], ['all'], ['whatsapp', 'instagram']]) {
    it(`accepts channels ${JSON.stringify(channels)}`, async () => {
      const body = alice.textMessage(privateId, { channels });
      const response = await alice.post('/v1/messages', body);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.status, 'accepted');
      const stored = await alice.get(`/v1/messages/${body.message_id}`);
      assert.deepEqual([...stored.body.channels].sort(), [...channels].sort());
    });
  }

  it('answers 404 FILE_NOT_FOUND for a file payload with an unknown file_id', async () => {
    const body = alice.textMessage(privateId, { payload: { type: 'file', file_id: randomUUID() } });
    const response = await alice.post('/v1/messages', body);
    assertProblem(response, 404, 'FILE_NOT_FOUND');
    await assertNotStored(body.message_id);
  });

  it('rejects a text payload without text with 400 naming payload.text', async () => {
    const body = alice.textMessage(privateId, { payload: { type: 'text' } });
    const response = await alice.post('/v1/messages', body);
    assertProblem(response, 400, 'VALIDATION_FAILED');
    assert.ok(response.body.field_errors?.['payload.text'], `payload.text named: ${JSON.stringify(response.body)}`);
    await assertNotStored(body.message_id);
  });
});
