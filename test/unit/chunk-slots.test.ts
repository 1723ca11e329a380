import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkSlots } from '../../src/app/chunk-slots.ts';
import { DomainError } from '../../src/domain/errors.ts';

const busy = (error: unknown) => error instanceof DomainError && error.code === 'TOO_MANY_CHUNK_UPLOADS';

describe('ChunkSlots', () => {
  it('refuses a user past perUser while another user still gets a slot', () => {
    const slots = new ChunkSlots({ perUser: 2, total: 10 });
    slots.take('alice');
    slots.take('alice');
    assert.throws(() => slots.take('alice'), busy);
    slots.take('bob');
  });

  it('refuses everyone past total', () => {
    const slots = new ChunkSlots({ perUser: 5, total: 2 });
    slots.take('alice');
    slots.take('bob');
    assert.throws(() => slots.take('carol'), busy);
  });

  it('gives a slot back when its chunk is done', () => {
    const slots = new ChunkSlots({ perUser: 1, total: 1 });
    const release = slots.take('alice');
    assert.throws(() => slots.take('bob'), busy);
    release();
    slots.take('bob');
  });
});
