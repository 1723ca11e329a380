import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient, type Session } from '../support/api-client.ts';
import { assertProblem } from '../support/assertions.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';

for (const mode of testModes) describe(`paging messages by seq cursor [${mode}]`, () => {
  let hub: HubProcess;
  let alice: Session;
  let conversationId: string;
  const seqsOf = (body: { messages: Array<{ seq: number }> }) => body.messages.map((message) => message.seq);
  const list = (query: string) => alice.get(`/v1/conversations/${conversationId}/messages?${query}`);

  before(async () => {
    hub = await HubProcess.start({ mode });
    const client = new ApiClient(hub.url);
    const [first, bob] = await Promise.all([client.login('user1'), client.login('user2')]);
    alice = first;
    conversationId = await alice.createConversation('private', [alice.userId, bob.userId]);
    for (let i = 1; i <= 12; i++) assert.equal((await alice.post('/v1/messages', alice.textMessage(conversationId))).status, 200);
  });
  after(() => hub.stop());

  it('after_seq pages forward from the cursor in seq order, with the total', async () => {
    const response = await list('after_seq=5&limit=4');
    assert.equal(response.status, 200);
    assert.deepEqual(seqsOf(response.body), [6, 7, 8, 9]);
    assert.equal(response.body.total, 12);
  });

  it('walking after_seq from 0 visits every message once', async () => {
    const seen: number[] = [];
    for (let cursor = 0; ; ) {
      const page = seqsOf((await list(`after_seq=${cursor}&limit=5`)).body);
      if (page.length === 0) break;
      seen.push(...page);
      cursor = page.at(-1)!;
    }
    assert.deepEqual(seen, Array.from({ length: 12 }, (_, i) => i + 1));
  });

  it('before_seq alone gives the last messages before the cursor, still in seq order', async () => {
    assert.deepEqual(seqsOf((await list('before_seq=13&limit=3')).body), [10, 11, 12]);
    assert.deepEqual(seqsOf((await list('before_seq=3&limit=5')).body), [1, 2]);
  });

  it('after_seq and before_seq together bound a range', async () => {
    assert.deepEqual(seqsOf((await list('after_seq=3&before_seq=7')).body), [4, 5, 6]);
  });

  it('a cursor past the end gives an empty page', async () => {
    const response = await list('after_seq=12');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.messages, []);
  });

  it('rejects a negative or non-integer cursor with 400 naming it', async () => {
    const negative = await list('after_seq=-1');
    assertProblem(negative, 400, 'VALIDATION_FAILED');
    assert.ok(negative.body.field_errors.after_seq);
    const text = await list('before_seq=abc');
    assertProblem(text, 400, 'VALIDATION_FAILED');
    assert.ok(text.body.field_errors.before_seq);
  });
});
