import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { RedisRateLimitStore } from '../../src/adapters/redis/redis-rate-limit-store.ts';
import type { Logger } from '../../src/ports/logger.ts';

const log = { warn() {}, info() {}, debug() {}, error() {}, child: () => log } as unknown as Logger;
const url = process.env.REDIS_URL;

/** Two stores on one Redis stand for two API processes. */
describe('counters in Redis', { skip: !url && 'REDIS_URL is not set (npm test starts a Redis with scripts/services.sh)' }, () => {
  const prefix = `test-${randomUUID()}:`;
  let one: RedisRateLimitStore;
  let two: RedisRateLimitStore;

  before(async () => {
    one = new RedisRateLimitStore({ url: url!, keyPrefix: prefix, log });
    two = new RedisRateLimitStore({ url: url!, keyPrefix: prefix, log });
    // Connected once a ping passes (commands are not queued while connecting).
    for (const store of [one, two]) for (let i = 0; !(await store.ping().then(() => true, () => false)); i++) await new Promise((resolve) => setTimeout(resolve, 20 * i));
  });
  after(async () => {
    await one?.close();
    await two?.close();
  });

  it('counts a small quota exactly, one round trip per request, whichever process counts', async () => {
    const counts = [];
    for (let i = 0; i < 6; i++) counts.push((await (i % 2 ? two : one).hit('exact', 60_000, 4)).count);
    assert.deepEqual(counts, [1, 2, 3, 4, 5, 6]);
  });

  it('gives every request of a busy key a count of its own across processes, and never more than were made', async () => {
    const hits = await Promise.all(Array.from({ length: 600 }, (_, i) => (i % 2 ? two : one).hit('busy', 60_000, 3000)));
    const counts = hits.map((hit) => hit.count).sort((a, b) => a - b);
    assert.equal(new Set(counts).size, 600, 'no count handed out twice');
    // Blocks reserved and not yet used can leave gaps, at most a block per process.
    assert.ok(counts.at(-1)! <= 600 + 2 * 60, `highest count ${counts.at(-1)}`);
    for (const hit of hits) assert.ok(hit.resetMs > 0 && hit.resetMs <= 60_000);
  });

  it('runs the shared counter of a busy key ahead of what a process handed out by one block at most', async () => {
    const key = 'blocks';
    for (let i = 0; i < 200; i++) await one.hit(key, 60_000, 3000);
    // The shared counter runs ahead of what this process handed out by what is left of its last block only.
    const reserved = (await two.hit(key, 60_000, 4)).count - 1;
    assert.ok(reserved >= 200 && reserved < 200 + 60, `reserved ${reserved}`);
  });
});
