import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ALL_CHANNELS, expandChannels, outgoingTopic } from '../../src/domain/channels.ts';

const registered = ['whatsapp', 'instagram', 'telegram'] as const;

describe('expandChannels', () => {
  it('expands "all" to every registered channel, in registry order', () => {
    assert.deepEqual(expandChannels([ALL_CHANNELS], registered), ['whatsapp', 'instagram', 'telegram']);
  });

  it('expands "all" mixed with named channels to exactly the registered channels, without repeats', () => {
    assert.deepEqual(expandChannels(['instagram', 'all', 'whatsapp'], registered), ['whatsapp', 'instagram', 'telegram']);
  });

  it('expands "all" to an empty list when nothing is registered', () => {
    assert.deepEqual(expandChannels(['all'], []), []);
  });

  it('returns a copy of the registry for "all", so callers cannot change it', () => {
    const registry = ['whatsapp', 'instagram'];
    const expanded = expandChannels(['all'], registry);
    expanded.push('sms');
    assert.deepEqual(registry, ['whatsapp', 'instagram']);
  });

  it('keeps named channels in the order requested', () => {
    assert.deepEqual(expandChannels(['instagram', 'whatsapp'], registered), ['instagram', 'whatsapp']);
  });

  it('removes repeated channel names, keeping the first occurrence', () => {
    assert.deepEqual(expandChannels(['instagram', 'whatsapp', 'instagram', 'whatsapp'], registered), ['instagram', 'whatsapp']);
  });

  it('passes an unregistered channel name through (it is reported as a failed delivery later)', () => {
    assert.deepEqual(expandChannels(['sms'], registered), ['sms']);
  });

  it('never returns "all" or a repeated name for any request (property)', () => {
    const name = fc.constantFrom('whatsapp', 'instagram', 'telegram', 'sms', 'all');
    fc.assert(
      fc.property(fc.array(name, { maxLength: 12 }), (requested: string[]) => {
        const expanded = expandChannels(requested, registered);
        assert.ok(!expanded.includes(ALL_CHANNELS));
        assert.equal(new Set(expanded).size, expanded.length);
      }),
    );
  });

  it('returns exactly the distinct requested names when "all" is absent (property)', () => {
    const name = fc.constantFrom('whatsapp', 'instagram', 'telegram', 'sms');
    fc.assert(
      fc.property(fc.array(name, { maxLength: 12 }), (requested: string[]) => {
        assert.deepEqual(new Set(expandChannels(requested, registered)), new Set(requested));
      }),
    );
  });
});

describe('outgoingTopic', () => {
  it('names a channel’s topic "<channel>_outgoing"', () => {
    assert.equal(outgoingTopic('whatsapp'), 'whatsapp_outgoing');
  });

  it('gives different channels different topics', () => {
    assert.notEqual(outgoingTopic('whatsapp'), outgoingTopic('instagram'));
  });
});
