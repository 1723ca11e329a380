import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maxBlock, nextBlockSize, reservedBlock, takeCount } from '../../src/domain/count-blocks.ts';

describe('counting ahead in blocks', () => {
  it('counts exactly (blocks of one) under a quota of 100, and takes at most 2 % of a quota, 64 at most', () => {
    assert.equal(maxBlock(4), 1);
    assert.equal(maxBlock(99), 1);
    assert.equal(maxBlock(100), 2);
    assert.equal(maxBlock(3000), 60);
    assert.equal(maxBlock(100_000_000), 64);
  });

  it('hands out the reserved range of the shared counter in order, then nothing', () => {
    const block = reservedBlock(40, 3, 10_000, 1_000);
    assert.deepEqual(block, { next: 38, last: 40, endsAt: 11_000, size: 3 });
    assert.deepEqual(takeCount(block, 1_000), { count: 38, resetMs: 10_000 });
    assert.deepEqual(takeCount(block, 2_000), { count: 39, resetMs: 9_000 });
    assert.deepEqual(takeCount(block, 3_000), { count: 40, resetMs: 8_000 });
    assert.equal(takeCount(block, 3_000), undefined);
    assert.equal(takeCount(undefined, 3_000), undefined);
  });

  it('hands out nothing once the window ended: the counts left belonged to it', () => {
    assert.equal(takeCount(reservedBlock(10, 5, 1_000, 0), 1_000), undefined);
  });

  it('starts a key at one count, doubles while it stays busy, up to the largest block', () => {
    assert.equal(nextBlockSize(undefined, 0, 3000), 1);
    let block = reservedBlock(1, 1, 60_000, 0);
    const sizes: number[] = [];
    for (let i = 0; i < 8; i++) {
      const size = nextBlockSize(block, 10, 3000);
      sizes.push(size);
      block = reservedBlock(block.last + size, size, 60_000, 10);
    }
    assert.deepEqual(sizes, [2, 4, 8, 16, 32, 60, 60, 60]);
  });

  it('goes back to one count when the key\'s window ended', () => {
    assert.equal(nextBlockSize({ next: 65, last: 64, endsAt: 5_000, size: 32 }, 5_000, 3000), 1);
  });
});
