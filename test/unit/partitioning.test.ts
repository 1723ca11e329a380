import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { partitionFor } from '../../src/adapters/partitioning.ts';

describe('partitionFor', () => {
  it('puts every key in partition 0 when there is one partition', () => {
    assert.equal(partitionFor('anything', 1), 0);
  });

  it('maps the empty key to a partition in range', () => {
    const partition = partitionFor('', 6);
    assert.ok(Number.isInteger(partition) && partition >= 0 && partition < 6);
  });

  it('returns an integer in [0, n) for any key and any n from 1 to 256 (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.integer({ min: 1, max: 256 }), (key: string, n: number) => {
        const partition = partitionFor(key, n);
        assert.ok(Number.isInteger(partition), `${partition} is an integer`);
        assert.ok(partition >= 0 && partition < n, `${partition} in [0, ${n})`);
      }),
    );
  });

  it('gives the same partition for the same key every time (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.integer({ min: 1, max: 256 }), (key: string, n: number) => {
        assert.equal(partitionFor(key, n), partitionFor(String(key), n));
      }),
    );
  });

  it('gives the same partition for equal keys built separately', () => {
    const key = '8d3e2a54-0f6b-4c8e-a1d2-5b6c7d8e9f00';
    assert.equal(partitionFor(key, 6), partitionFor(['8d3e2a54', '0f6b', '4c8e', 'a1d2', '5b6c7d8e9f00'].join('-'), 6));
  });

  it('is stable across processes: fixed keys map to fixed partitions (FNV-1a)', () => {
    // FNV-1a 32-bit: "" → 0x811c9dc5, "a" → 0xe40c292c, "foobar" → 0xbf9cf968 (published test vectors)
    assert.equal(partitionFor('', 1000), 0x811c9dc5 % 1000);
    assert.equal(partitionFor('a', 1000), 0xe40c292c % 1000);
    assert.equal(partitionFor('foobar', 1000), 0xbf9cf968 % 1000);
  });

  it('spreads 10,000 random UUID keys over 6 partitions with each between 12% and 22%', () => {
    const counts = Array<number>(6).fill(0);
    const keys = 10_000;
    for (let i = 0; i < keys; i++) counts[partitionFor(randomUUID(), 6)]! += 1;
    for (const [partition, count] of counts.entries()) {
      const share = count / keys;
      assert.ok(share >= 0.12 && share <= 0.22, `partition ${partition} got ${(share * 100).toFixed(1)}% (${counts.join(', ')})`);
    }
  });
});
