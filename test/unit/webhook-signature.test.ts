import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Webhook } from 'standardwebhooks';
import { generateWebhookSecret, webhookHeaders, webhookSignature } from '../../src/app/webhook-signature.ts';

const NOW_SECONDS = () => Math.floor(Date.now() / 1000);

describe('webhook signatures (Standard Webhooks)', () => {
  it('matches the test vector of the Standard Webhooks reference libraries', () => {
    const signature = webhookSignature(
      'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      1614265330,
      '{"test": 2432232314}',
    );
    assert.equal(signature, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('makes secrets whsec_<base64> of 32 random bytes', () => {
    const secret = generateWebhookSecret();
    assert.match(secret, /^whsec_[A-Za-z0-9+/]+={0,2}$/);
    assert.equal(Buffer.from(secret.slice('whsec_'.length), 'base64').length, 32);
    assert.notEqual(generateWebhookSecret(), secret);
  });

  it('gives headers that the standardwebhooks package verifies, for any id and body', () => {
    const secret = generateWebhookSecret();
    const receiver = new Webhook(secret);
    fc.assert(
      fc.property(fc.uuid(), fc.json(), (id, body) => {
        const headers = webhookHeaders(secret, id, NOW_SECONDS(), body);
        assert.deepEqual(receiver.verify(body, headers), JSON.parse(body));
      }),
      { numRuns: 200 },
    );
  });

  it('gives headers that fail verification when the body changed', () => {
    const secret = generateWebhookSecret();
    const headers = webhookHeaders(secret, 'msg_1', NOW_SECONDS(), '{"a":1}');
    assert.throws(() => new Webhook(secret).verify('{"a":2}', headers));
  });

  it('gives headers that fail verification with another secret', () => {
    const headers = webhookHeaders(generateWebhookSecret(), 'msg_1', NOW_SECONDS(), '{"a":1}');
    assert.throws(() => new Webhook(generateWebhookSecret()).verify('{"a":1}', headers));
  });

  it('signs each attempt with its own timestamp, under the same id', () => {
    const secret = generateWebhookSecret();
    const first = webhookHeaders(secret, 'msg_1', 1_700_000_000, '{}');
    const retry = webhookHeaders(secret, 'msg_1', 1_700_000_060, '{}');
    assert.equal(retry['webhook-id'], first['webhook-id']);
    assert.equal(retry['webhook-timestamp'], '1700000060');
    assert.notEqual(retry['webhook-signature'], first['webhook-signature']);
  });
});
