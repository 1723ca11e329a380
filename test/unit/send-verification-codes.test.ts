import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CircuitBreaker } from '../../src/app/circuit-breaker.ts';
import { SendVerificationCodes } from '../../src/app/send-verification-codes.ts';
import type { VerificationCodeEvent } from '../../src/domain/verification-codes.ts';
import { DeliveryFailure, type ChannelConnector, type ChannelRecipient } from '../../src/ports/channel-connector.ts';
import type { ConsumedRecord } from '../../src/ports/message-bus.ts';

const NOW = new Date('2026-12-03T12:00:00.000Z');
const USER = '3f2b8c1e-6a4d-4e8b-9c7a-2d5e1f0a9b3c';
const code = (address: string, expiresInMs = 600_000): VerificationCodeEvent => ({
  user_id: USER,
  address,
  code: '123456',
  expires_at: new Date(NOW.getTime() + expiresInMs).toISOString(),
});
const records = (...values: unknown[]): ConsumedRecord[] =>
  values.map((value, i) => ({ topic: 'whatsapp_verification_codes', key: USER, value, partition: 0, offset: String(i) }));

/** A channel whose code sends fail `failures` times first (permanently when `permanent`). */
function channel(failures = 0, permanent = false) {
  const sent: Array<[ChannelRecipient, string]> = [];
  let calls = 0;
  const connector = {
    name: 'whatsapp',
    displayName: 'WhatsApp',
    async sendVerificationCode(recipient: ChannelRecipient, value: string) {
      if (calls++ < failures) throw new DeliveryFailure('provider down', { permanent });
      sent.push([recipient, value]);
    },
  } as unknown as ChannelConnector;
  return { connector, sent, calls: () => calls };
}

function sender(connector: ChannelConnector) {
  const notSent: Array<[string, string]> = [];
  const send = new SendVerificationCodes({
    connector,
    calls: { retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 }, breaker: new CircuitBreaker({ threshold: 10, cooldownMs: 1_000 }), displayName: 'WhatsApp' },
    onNotSent: (event, reason) => notSent.push([event.address, reason]),
    now: () => NOW,
  });
  return { send, notSent };
}

describe('SendVerificationCodes', () => {
  it('sends each code to its address through the channel', async () => {
    const { connector, sent } = channel();
    const { send, notSent } = sender(connector);
    assert.deepEqual(await send.handle(records(code('+1'), code('+2'))), []);
    assert.deepEqual(sent.map(([recipient, value]) => [recipient.address, recipient.userId, value]).sort(), [['+1', USER, '123456'], ['+2', USER, '123456']]);
    assert.deepEqual(notSent, []);
  });

  it('retries a transient failure, and tells of a code that failed after every attempt', async () => {
    const flaky = channel(2);
    assert.deepEqual((await sender(flaky.connector).send.handle(records(code('+1')))).length, 0);
    assert.equal(flaky.sent.length, 1);
    const down = channel(99);
    const { send, notSent } = sender(down.connector);
    await send.handle(records(code('+1')));
    assert.equal(down.calls(), 3);
    assert.deepEqual(notSent, [['+1', 'provider down (after 3 attempts)']]);
  });

  it('does not retry a permanent failure', async () => {
    const gone = channel(99, true);
    const { send, notSent } = sender(gone.connector);
    await send.handle(records(code('+1')));
    assert.equal(gone.calls(), 1);
    assert.deepEqual(notSent, [['+1', 'provider down']]);
  });

  it('does not send a code that expired before its turn came', async () => {
    const { connector, sent } = channel();
    const { send, notSent } = sender(connector);
    await send.handle(records(code('+1', 0)));
    assert.deepEqual(sent, []);
    assert.match(notSent[0]![1], /expired/);
  });

  it('rejects a record that is no verification code, and sends the others', async () => {
    const { connector, sent } = channel();
    const rejected = await sender(connector).send.handle(records({ message_id: 'x' }, code('+1')));
    assert.deepEqual(rejected.map((r) => r.reason), ['not a verification code record']);
    assert.equal(sent.length, 1);
  });
});
