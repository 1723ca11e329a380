import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient, type Session } from '../support/api-client.ts';
import { assertProblem } from '../support/assertions.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';

const COUNT = 25;

for (const mode of testModes) describe(`paging messages by seq [${mode}]`, () => {
  let hub: HubProcess;
  let alice: Session;
  let bob: Session;
  let carol: Session;
  let conversation: string;

  before(async () => {
    hub = await HubProcess.start({ mode });
    const client = new ApiClient(hub.url);
    [alice, bob, carol] = await Promise.all([client.login('user1'), client.login('user2'), client.login('user3')]);
    conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
    for (let i = 1; i <= COUNT; i++) {
      const response = await alice.post('/v1/messages', alice.textMessage(conversation, { payload: { type: 'text', text: `m${i}` } }));
      assert.equal(response.status, 200);
    }
  });
  after(() => hub.stop());

  const page = (query: string, session = alice) => session.get(`/v1/conversations/${conversation}/messages?${query}`);
  const seqs = (body: { messages: Array<{ seq: number }> }) => body.messages.map((message) => message.seq);

  it('returns the messages after after_seq, oldest first, with has_more and the next cursor', async () => {
    const response = await page('after_seq=0&limit=10');
    assert.equal(response.status, 200);
    assert.deepEqual(seqs(response.body), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.equal(response.body.has_more, true);
    assert.equal(response.body.next_after_seq, 10);
    assert.equal(response.body.limit, 10);
    assert.equal(response.body.total, undefined, 'cursor pages do not count the conversation');
  });

  it('walks the whole conversation by next_after_seq without a gap or a repeat', async () => {
    const seen: number[] = [];
    let cursor = 0;
    for (;;) {
      const response = await page(`after_seq=${cursor}&limit=7`);
      assert.equal(response.status, 200);
      seen.push(...seqs(response.body));
      cursor = response.body.next_after_seq;
      if (!response.body.has_more) break;
    }
    assert.deepEqual(seen, Array.from({ length: COUNT }, (_, i) => i + 1));
  });

  it('answers an empty last page that keeps the cursor, for polling newer messages', async () => {
    const response = await page(`after_seq=${COUNT}`);
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.messages, []);
    assert.equal(response.body.has_more, false);
    assert.equal(response.body.next_after_seq, COUNT);
  });

  it('scrolls back with before_seq: the messages just before it, oldest first', async () => {
    const response = await page('before_seq=21&limit=5');
    assert.equal(response.status, 200);
    assert.deepEqual(seqs(response.body), [16, 17, 18, 19, 20]);
    assert.equal(response.body.has_more, true);
    assert.equal(response.body.next_before_seq, 16);
  });

  it('says has_more false when scrolling back reaches the first message', async () => {
    const response = await page('before_seq=4&limit=5');
    assert.deepEqual(seqs(response.body), [1, 2, 3]);
    assert.equal(response.body.has_more, false);
  });

  it('returns the messages between after_seq and before_seq', async () => {
    const response = await page('after_seq=10&before_seq=14');
    assert.deepEqual(seqs(response.body), [11, 12, 13]);
    assert.equal(response.body.has_more, false);
  });

  it('answers 400 naming offset when it is combined with a cursor', async () => {
    const response = await page('after_seq=3&offset=2');
    assertProblem(response, 400, 'VALIDATION_FAILED');
    assert.ok(response.body.field_errors.offset);
  });

  it('answers 400 naming after_seq for a negative or non-integer value', async () => {
    for (const value of ['-1', '1.5', 'abc']) {
      const response = await page(`after_seq=${value}`);
      assertProblem(response, 400, 'VALIDATION_FAILED');
      assert.ok(response.body.field_errors.after_seq, value);
    }
  });

  it('keeps offset paging with total when no cursor is given', async () => {
    const response = await page('limit=5&offset=20');
    assert.deepEqual(seqs(response.body), [21, 22, 23, 24, 25]);
    assert.equal(response.body.total, COUNT);
    assert.equal(response.body.offset, 20);
  });

  it('answers 403 to a non-member and 404 for an unknown conversation', async () => {
    assertProblem(await page('after_seq=0', carol), 403, 'NOT_A_MEMBER');
    assertProblem(await alice.get('/v1/conversations/00000000-0000-4000-8000-000000000000/messages?after_seq=0'), 404, 'CONVERSATION_NOT_FOUND');
  });
});
