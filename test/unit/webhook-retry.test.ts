import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { afterFailure, backoffDelay, type RetryPolicy } from '../../src/domain/webhook-retry.ts';

const policy: RetryPolicy = { baseDelayMs: 5_000, maxDelayMs: 3_600_000, windowMs: 24 * 3_600_000 };
const lowest = () => 0;
const highest = () => 1;

describe('webhook backoff', () => {
  it('doubles the delay after each failure: 5 s, 10 s, 20 s, 40 s at the top of the jitter', () => {
    assert.deepEqual([1, 2, 3, 4].map((attempt) => backoffDelay(policy, attempt, highest)), [5_000, 10_000, 20_000, 40_000]);
  });

  it('jitters within the upper half of each delay', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, random) => {
        const top = backoffDelay(policy, attempt, highest);
        const delay = backoffDelay(policy, attempt, () => random);
        assert.ok(delay >= top / 2 && delay <= top, `${delay} within [${top / 2}, ${top}]`);
      }),
    );
  });

  it('never waits longer than the cap, however many attempts failed', () => {
    assert.equal(backoffDelay(policy, 12, highest), 3_600_000);
    assert.equal(backoffDelay(policy, 10_000, highest), 3_600_000);
    assert.equal(backoffDelay(policy, 10_000, lowest), 1_800_000);
  });
});

describe('after a failed attempt', () => {
  it('retries after the backoff delay while the window is open', () => {
    assert.deepEqual(afterFailure(policy, 3, 60_000, highest), { retryInMs: 20_000 });
  });

  it('never schedules past the end of the window: the last try falls at its end', () => {
    assert.deepEqual(afterFailure(policy, 30, policy.windowMs - 1_000, highest), { retryInMs: 1_000 });
  });

  it('dead-letters once the first attempt is as old as the window', () => {
    assert.deepEqual(afterFailure(policy, 30, policy.windowMs, highest), { deadLetter: true });
    assert.deepEqual(afterFailure(policy, 31, policy.windowMs + 5, lowest), { deadLetter: true });
  });

  it('spreads the attempts of a day-long window over a few dozen tries, not thousands', () => {
    let since = 0;
    let attempts = 1;
    for (;;) {
      const decision = afterFailure(policy, attempts, since, lowest);
      if ('deadLetter' in decision) break;
      since += decision.retryInMs;
      attempts++;
    }
    assert.ok(attempts > 20 && attempts < 60, `${attempts} attempts`);
    assert.equal(since, policy.windowMs);
  });
});
