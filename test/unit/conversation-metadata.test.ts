import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkMetadata, metadataLimits } from '../../src/domain/conversation-metadata.ts';
import { DomainError } from '../../src/domain/errors.ts';

function nested(levels: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < levels; i++) value = { v: value };
  return value;
}

describe('checkMetadata', () => {
  it('accepts values nested exactly to the limit', () => {
    assert.doesNotThrow(() => checkMetadata({ a: nested(metadataLimits.depth) }));
  });

  it('refuses one level more, naming the key', () => {
    assert.throws(() => checkMetadata({ name: 'x', a: nested(metadataLimits.depth + 1) }), (error: DomainError) =>
      Object.keys(error.fieldErrors ?? {}).includes('metadata.a'),
    );
  });

  it('answers a value nested 100,000 levels deep without walking it all', () => {
    assert.throws(() => checkMetadata({ a: nested(100_000) }), DomainError);
  });

  it('counts arrays as levels too', () => {
    assert.throws(() => checkMetadata({ a: [[[[1]]]] }), DomainError);
    assert.doesNotThrow(() => checkMetadata({ a: [[[1]]] }));
  });

  it('refuses metadata over the byte limit, counting UTF-8 bytes', () => {
    const emoji = '😀'.repeat(metadataLimits.bytes / 4);
    assert.throws(() => checkMetadata({ a: emoji }), (error: DomainError) => Object.keys(error.fieldErrors ?? {}).includes('metadata'));
    assert.doesNotThrow(() => checkMetadata({ a: 'x'.repeat(metadataLimits.bytes - 100) }));
  });
});
