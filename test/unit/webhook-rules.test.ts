import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WEBHOOK_URL_MAX_LENGTH, webhookPayload, webhookUrlProblem } from '../../src/domain/webhooks.ts';

describe('webhook URLs', () => {
  it('accepts absolute http and https URLs, with ports, paths and queries', () => {
    for (const url of ['https://app.example.com/hooks', 'http://127.0.0.1:8080/in?token=abc', 'HTTPS://EXAMPLE.COM']) {
      assert.equal(webhookUrlProblem(url), undefined, url);
    }
  });

  it('refuses relative URLs, other schemes and text that is no URL', () => {
    for (const url of ['/hooks', 'example.com/hooks', 'ftp://example.com/', 'javascript:alert(1)', 'http:example.com', 'http://', 'https://exa mple.com']) {
      assert.equal(webhookUrlProblem(url), 'must be an absolute http or https URL', url);
    }
  });

  it('refuses URLs with credentials', () => {
    assert.equal(webhookUrlProblem('https://user:secret@example.com/'), 'must not contain a user name or password');
  });

  it(`refuses URLs longer than ${WEBHOOK_URL_MAX_LENGTH} characters`, () => {
    const base = 'https://example.com/';
    assert.equal(webhookUrlProblem(base + 'a'.repeat(WEBHOOK_URL_MAX_LENGTH - base.length)), undefined);
    assert.match(webhookUrlProblem(base + 'a'.repeat(WEBHOOK_URL_MAX_LENGTH - base.length + 1)) ?? '', /at most 2048/);
  });
});

describe('webhook payloads', () => {
  it('carry type, timestamp (ISO), data and the feed event id', () => {
    const occurredAt = new Date('2026-11-24T12:00:00.000Z');
    assert.deepEqual(webhookPayload({ eventId: 7, type: 'conversation.read', occurredAt, data: { up_to_seq: 3 } }), {
      type: 'conversation.read',
      timestamp: '2026-11-24T12:00:00.000Z',
      data: { up_to_seq: 3 },
      event_id: 7,
    });
  });
});
