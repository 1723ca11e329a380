import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ApiClient, type ApiResponse, type Session } from '../support/api-client.ts';
import { assertProblem } from '../support/assertions.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';

/**
 * Concurrent sends are accepted together, many per statement: each request must still get its own answer,
 * and every conversation its own gap-free seqs.
 */
for (const mode of testModes) describe(`concurrent sends share statements, answers stay per request [${mode}]`, () => {
  let hub: HubProcess;
  let alice: Session;
  let bob: Session;
  let carol: Session;
  let dave: Session;

  before(async () => {
    hub = await HubProcess.start({ mode });
    const client = new ApiClient(hub.url);
    [alice, bob, carol, dave] = await Promise.all([client.login('user1'), client.login('user2'), client.login('user3'), client.login('user4')]);
  });
  after(() => hub.stop());

  /** A new, empty conversation of alice's without carol: a group, as private ones of one pair are one (get-or-create). */
  const freshConversation = () => alice.createConversation('group', [alice.userId, bob.userId, dave.userId]);

  const seqs = async (conversationId: string): Promise<number[]> => {
    const seen: number[] = [];
    for (let cursor = 0; ; ) {
      const page = (await alice.get(`/v1/conversations/${conversationId}/messages?after_seq=${cursor}&limit=100`)).body;
      if (page.messages.length === 0) return seen;
      seen.push(...page.messages.map((message: { seq: number }) => message.seq));
      cursor = seen.at(-1)!;
    }
  };

  it('gives each of several conversations seqs 1..n without gaps or duplicates', async () => {
    const conversations = await Promise.all(Array.from({ length: 6 }, freshConversation));
    const responses = await Promise.all(
      Array.from({ length: 300 }, (_, i) => alice.post('/v1/messages', alice.textMessage(conversations[i % conversations.length]!))),
    );
    assert.deepEqual(new Set(responses.map((response) => response.status)), new Set([200]));
    for (const conversationId of conversations) {
      const answered = responses.filter((r) => r.body.conversation_id === conversationId).map((r) => r.body.seq as number);
      const expected = Array.from({ length: 50 }, (_, i) => i + 1);
      assert.deepEqual([...answered].sort((a, b) => a - b), expected, 'answers carry seqs 1..50');
      assert.deepEqual(await seqs(conversationId), expected, 'the listing holds seqs 1..50');
    }
  });

  it('answers 404, 403, 409, replays and acceptances correctly within one burst', async () => {
    const conversationId = await freshConversation();
    const carolsOwn = await carol.createConversation('private', [carol.userId, bob.userId]);
    const used = alice.textMessage(conversationId);
    assert.equal((await alice.post('/v1/messages', used)).status, 200);

    type Case = { expect: number; code?: string; send: () => Promise<ApiResponse> };
    const cases: Case[] = [];
    for (let i = 0; i < 20; i++) {
      cases.push({ expect: 200, send: () => alice.post('/v1/messages', alice.textMessage(conversationId)) });
      cases.push({ expect: 200, send: () => carol.post('/v1/messages', carol.textMessage(carolsOwn)) });
      cases.push({ expect: 404, code: 'CONVERSATION_NOT_FOUND', send: () => alice.post('/v1/messages', alice.textMessage(randomUUID())) });
      cases.push({ expect: 403, code: 'NOT_A_MEMBER', send: () => carol.post('/v1/messages', carol.textMessage(conversationId)) });
      cases.push({ expect: 400, code: 'RECIPIENT_NOT_MEMBER', send: () => alice.post('/v1/messages', alice.textMessage(conversationId, { to: carol.userId })) });
      cases.push({ expect: 409, code: 'IDEMPOTENCY_CONFLICT', send: () => alice.post('/v1/messages', { ...used, payload: { type: 'text', text: `other ${i}` } }) });
      cases.push({ expect: 200, send: () => alice.post('/v1/messages', used) });
    }
    const responses = await Promise.all(cases.map((c) => c.send()));
    responses.forEach((response, i) => {
      const { expect, code } = cases[i]!;
      if (expect === 200) assert.equal(response.status, 200, JSON.stringify(response.body));
      else assertProblem(response, expect, code);
    });
    const replays = responses.filter((response, i) => cases[i]!.expect === 200 && response.body.message_id === used.message_id);
    assert.equal(replays.length, 20);
    for (const replay of replays) {
      assert.equal(replay.headers.get('idempotent-replay'), 'true');
      assert.equal(replay.body.seq, 1);
    }
    assert.deepEqual(await seqs(conversationId), Array.from({ length: 21 }, (_, i) => i + 1));
    assert.deepEqual(await seqs(carolsOwn).catch(() => []), [], 'alice cannot list carol\'s conversation');
  });

  it('accepts a message once when the same new request arrives many times at once', async () => {
    const conversationId = await freshConversation();
    const body = alice.textMessage(conversationId);
    const responses = await Promise.all(Array.from({ length: 25 }, () => alice.post('/v1/messages', body)));
    assert.deepEqual(new Set(responses.map((response) => response.status)), new Set([200]));
    assert.equal(new Set(responses.map((response) => JSON.stringify(response.body))).size, 1, 'every answer has the same body');
    assert.equal(responses.filter((response) => response.headers.get('idempotent-replay') !== 'true').length, 1);
    assert.deepEqual(await seqs(conversationId), [1]);
  });
});
