import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inboundMessageId } from '../../src/app/receive-channel-webhook.ts';

describe('inboundMessageId', () => {
  it('names the same channel message alike every time, so a provider retry makes one message', () => {
    assert.equal(inboundMessageId('key', 'whatsapp', 'wamid.1'), inboundMessageId('key', 'whatsapp', 'wamid.1'));
  });

  it('depends on the hub key, so no user can compute it in advance', () => {
    assert.notEqual(inboundMessageId('key', 'whatsapp', 'wamid.1'), inboundMessageId('other key', 'whatsapp', 'wamid.1'));
  });

  it('is a UUID of version 8, variant 10', () => {
    assert.match(inboundMessageId('key', 'whatsapp', 'wamid.1'), /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
