import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { fingerprint, type SendCommand } from '../../src/domain/message.ts';

const base: SendCommand = {
  messageId: '2b7f7c1e-6a8e-4f59-9d57-3c1f0e9a1b11',
  conversationId: '8d3e2a54-0f6b-4c8e-a1d2-5b6c7d8e9f00',
  from: 'user-a',
  to: null,
  channels: ['whatsapp', 'instagram'],
  payload: { type: 'text', text: 'hello' },
  priority: 'normal',
};

const with_ = (overrides: Partial<SendCommand>): SendCommand => ({ ...base, ...overrides });

describe('fingerprint', () => {
  it('is a 64-character lowercase hex SHA-256 digest', () => {
    assert.match(fingerprint(base), /^[0-9a-f]{64}$/);
  });

  it('is the same for the same command', () => {
    assert.equal(fingerprint({ ...base, channels: [...base.channels] }), fingerprint(base));
  });

  it('is the same when the channels are given in another order', () => {
    assert.equal(fingerprint(with_({ channels: ['instagram', 'whatsapp'] })), fingerprint(base));
  });

  it('is the same when a channel is repeated', () => {
    assert.equal(fingerprint(with_({ channels: ['whatsapp', 'instagram', 'whatsapp'] })), fingerprint(base));
  });

  it('does not depend on the message id (a retry reuses it)', () => {
    assert.equal(fingerprint(with_({ messageId: '00000000-0000-4000-8000-000000000000' })), fingerprint(base));
  });

  it('differs when the text differs', () => {
    assert.notEqual(fingerprint(with_({ payload: { type: 'text', text: 'hello!' } })), fingerprint(base));
  });

  it('differs when a channel is added', () => {
    assert.notEqual(fingerprint(with_({ channels: ['whatsapp', 'instagram', 'telegram'] })), fingerprint(base));
  });

  it('differs when a channel is removed', () => {
    assert.notEqual(fingerprint(with_({ channels: ['whatsapp'] })), fingerprint(base));
  });

  it('differs when the recipient differs', () => {
    assert.notEqual(fingerprint(with_({ to: 'user-b' })), fingerprint(base));
  });

  it('differs between no recipient (null) and a recipient literally named "null"', () => {
    assert.notEqual(fingerprint(with_({ to: 'null' })), fingerprint(with_({ to: null })));
  });

  it('differs when the priority differs', () => {
    assert.notEqual(fingerprint(with_({ priority: 'high' })), fingerprint(base));
  });

  it('differs when the conversation differs', () => {
    assert.notEqual(fingerprint(with_({ conversationId: '8d3e2a54-0f6b-4c8e-a1d2-5b6c7d8e9f01' })), fingerprint(base));
  });

  it('differs when the sender differs', () => {
    assert.notEqual(fingerprint(with_({ from: 'user-b' })), fingerprint(base));
  });

  it('differs between a text payload and a file payload carrying the same string', () => {
    const text = with_({ payload: { type: 'text', text: 'f-123' } });
    const file = with_({ payload: { type: 'file', file_id: 'f-123' } });
    assert.notEqual(fingerprint(text), fingerprint(file));
  });

  it('differs when the file id differs', () => {
    const a = with_({ payload: { type: 'file', file_id: 'f-1' } });
    const b = with_({ payload: { type: 'file', file_id: 'f-2' } });
    assert.notEqual(fingerprint(a), fingerprint(b));
  });

  it('cannot be made to collide by moving characters between fields', () => {
    assert.notEqual(fingerprint(with_({ from: 'ab', to: 'c' })), fingerprint(with_({ from: 'a', to: 'bc' })));
  });

  it('is unchanged by any shuffle or repetition of the channels (property)', () => {
    const channel = fc.constantFrom('whatsapp', 'instagram', 'telegram', 'sms');
    fc.assert(
      fc.property(fc.uniqueArray(channel, { minLength: 1 }), fc.array(fc.nat()), (channels: string[], picks: number[]) => {
        const noisy = [...channels].reverse().concat(picks.map((pick) => channels[pick % channels.length]!));
        assert.equal(fingerprint(with_({ channels: noisy })), fingerprint(with_({ channels })));
      }),
    );
  });

  it('differs for any two different texts (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (a: string, b: string) => {
        fc.pre(a !== b);
        const fa = fingerprint(with_({ payload: { type: 'text', text: a } }));
        const fb = fingerprint(with_({ payload: { type: 'text', text: b } }));
        assert.notEqual(fa, fb);
      }),
    );
  });
});
