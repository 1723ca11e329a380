import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readSimulatedWebhook, signSimulatedWebhook } from '../../src/channels/simulated-webhook.ts';
import { ChannelSignatureError } from '../../src/ports/channel-connector.ts';

const SECRET = 'whatsapp-secret';
const NOW_MS = 1_800_000_000_000;
const body = '{"statuses":[]}';

function signedAt(seconds: number) {
  const timestamp = String(seconds);
  return {
    rawBody: Buffer.from(body),
    headers: { 'x-chat4all-timestamp': timestamp, 'x-chat4all-signature': signSimulatedWebhook(SECRET, timestamp, body) },
  };
}

describe('readSimulatedWebhook: the replay window', () => {
  it('takes a timestamp at the edge of the window, either way (clocks drift both ways)', () => {
    assert.deepEqual(readSimulatedWebhook(SECRET, 60, signedAt(NOW_MS / 1000 - 60), NOW_MS), { statuses: [], messages: [] });
    assert.deepEqual(readSimulatedWebhook(SECRET, 60, signedAt(NOW_MS / 1000 + 60), NOW_MS), { statuses: [], messages: [] });
  });

  it('refuses a timestamp one second outside the configured window', () => {
    assert.throws(() => readSimulatedWebhook(SECRET, 60, signedAt(NOW_MS / 1000 - 61), NOW_MS), ChannelSignatureError);
    assert.throws(() => readSimulatedWebhook(SECRET, 60, signedAt(NOW_MS / 1000 + 61), NOW_MS), ChannelSignatureError);
  });
});
