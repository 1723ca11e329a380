import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { afterFailure, type RetryPolicy } from '../../src/domain/webhook-retry.ts';

const policy: RetryPolicy = { baseDelayMs: 5_000, maxDelayMs: 3_600_000, windowMs: 24 * 3_600_000 };
const highest = () => 1;
const retryIn = (attempt: number, sinceFirstMs: number, random: () => number) => {
  const decision = afterFailure(policy, attempt, sinceFirstMs, random);
  assert.ok('retryInMs' in decision, `attempt ${attempt} is retried`);
  return decision.retryInMs;
};

describe('webhook retry schedule', () => {
  it('doubles the delay after each failure: 5 s, 10 s, 20 s, 40 s at the top of the jitter', () => {
    assert.deepEqual([1, 2, 3, 4].map((attempt) => retryIn(attempt, 0, highest)), [5_000, 10_000, 20_000, 40_000]);
  });

  it('jitters each delay between 0 and its ceiling', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, random) => {
        const ceiling = retryIn(attempt, 0, highest);
        const delay = retryIn(attempt, 0, () => random);
        assert.ok(delay >= 0 && delay <= ceiling, `${delay} within [0, ${ceiling}]`);
      }),
    );
  });

  it('never waits longer than an hour, however many attempts failed', () => {
    assert.equal(retryIn(12, 0, highest), 3_600_000);
    assert.equal(retryIn(10_000, 0, highest), 3_600_000);
  });

  it('never schedules past the end of the window: the last try falls at its end', () => {
    assert.equal(retryIn(30, policy.windowMs - 1_000, highest), 1_000);
  });

  it('dead-letters once the first attempt is as old as the window', () => {
    assert.deepEqual(afterFailure(policy, 30, policy.windowMs, highest), { deadLetter: true });
    assert.deepEqual(afterFailure(policy, 31, policy.windowMs + 5, () => 0), { deadLetter: true });
  });

  it('spreads the attempts of a day-long window over tens of tries, not thousands', () => {
    for (const random of [() => 1, () => 0.5]) {
      let since = 0;
      let attempts = 1;
      for (let decision = afterFailure(policy, attempts, since, random); 'retryInMs' in decision; ) {
        since += decision.retryInMs;
        attempts++;
        decision = afterFailure(policy, attempts, since, random);
      }
      assert.ok(attempts > 20 && attempts < 100, `${attempts} attempts`);
      assert.equal(since, policy.windowMs, 'the last one at the end of the window');
    }
  });
});
