import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ApiClient, type Session } from '../support/api-client.ts';
import { assertProblem } from '../support/assertions.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';

/** 2^63: one past PostgreSQL's largest bigint, where seqs, offsets and event ids are kept. */
const BEYOND_BIGINT = '9223372036854775808';

/** A conversation-list cursor as the hub encodes them, holding any timestamp. */
const cursorAt = (timestamp: string) => Buffer.from(JSON.stringify([timestamp, randomUUID()])).toString('base64url');

for (const mode of testModes) describe(`input beyond what the hub stores [${mode}]`, () => {
  let hub: HubProcess;
  let alice: Session;
  let conversation: string;
  let webhook: string;

  before(async () => {
    hub = await HubProcess.start({ mode });
    const client = new ApiClient(hub.url);
    const [a, b] = await Promise.all([client.login('user1'), client.login('user2')]);
    alice = a;
    conversation = await alice.createConversation('private', [alice.userId, b.userId]);
    const registered = await alice.post('/v1/webhooks', { url: 'https://example.com/hook', events: ['message.created'] });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    webhook = registered.body.webhook_id;
  });
  after(() => hub.stop());

  const queries: Array<[what: string, field: string, path: () => string]> = [
    ['after_seq', 'after_seq', () => `/v1/conversations/${conversation}/messages?after_seq=${BEYOND_BIGINT}`],
    ['before_seq', 'before_seq', () => `/v1/conversations/${conversation}/messages?before_seq=${BEYOND_BIGINT}`],
    ['offset of messages', 'offset', () => `/v1/conversations/${conversation}/messages?offset=${BEYOND_BIGINT}`],
    ['offset of users', 'offset', () => `/v1/users?offset=${BEYOND_BIGINT}`],
    ['after of dead letters', 'after', () => `/v1/webhooks/${webhook}/dead-letters?after=${BEYOND_BIGINT}`],
  ];
  for (const [what, field, path] of queries) {
    it(`answers 400 naming ${field} for the ${what} at 2^63`, async () => {
      const response = await alice.get(path());
      assertProblem(response, 400, 'VALIDATION_FAILED');
      assert.deepEqual(response.body.field_errors[field], [`must be <= ${Number.MAX_SAFE_INTEGER}`]);
    });
  }

  it('answers 400 naming up_to_seq for a read receipt up to 2^63', async () => {
    const response = await alice.client.request('POST', `/v1/conversations/${conversation}/read`, {
      token: alice.token,
      rawBody: `{"up_to_seq": ${BEYOND_BIGINT}}`,
    });
    assertProblem(response, 400, 'VALIDATION_FAILED');
    assert.ok(response.body.field_errors.up_to_seq, JSON.stringify(response.body));
  });

  // PostgreSQL has no year 0 and takes time-zone offsets up to ±15:59; JavaScript's Date takes both.
  for (const timestamp of ['0000-06-01 12:00:00+00', '2026-12-01 12:00:00+16']) {
    it(`answers 400 naming cursor for a cursor at ${timestamp}`, async () => {
      const response = await alice.get(`/v1/conversations?cursor=${cursorAt(timestamp)}`);
      assertProblem(response, 400, 'VALIDATION_FAILED');
      assert.ok(response.body.field_errors.cursor, JSON.stringify(response.body));
    });
  }
});
