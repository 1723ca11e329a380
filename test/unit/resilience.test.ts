import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CircuitBreaker } from '../../src/app/circuit-breaker.ts';
import { backoffDelay } from '../../src/domain/backoff.ts';

describe('backoffDelay', () => {
  it('stays within [0, base·2^(retry−1)] below the cap (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (retry: number, r: number) => {
        const delay = backoffDelay(retry, 100, 1e12, () => r);
        assert.ok(delay >= 0 && delay <= 100 * 2 ** (retry - 1));
      }),
    );
  });

  it('never exceeds the cap', () => {
    assert.equal(backoffDelay(30, 100, 5_000, () => 0.999_999), 5_000);
  });

  it('doubles its ceiling with each retry', () => {
    assert.deepEqual([1, 2, 3, 4].map((retry) => backoffDelay(retry, 100, 1e9, () => 1)), [100, 200, 400, 800]);
  });
});

describe('CircuitBreaker', () => {
  const clock = () => {
    let now = 0;
    return { now: () => now, advance: (ms: number) => void (now += ms) };
  };

  it('opens after `threshold` failures in a row, for the cooldown', () => {
    const time = clock();
    const opened: number[] = [];
    const breaker = new CircuitBreaker({ threshold: 3, cooldownMs: 1_000, now: time.now, onOpen: (ms) => opened.push(ms) });
    breaker.failed();
    breaker.failed();
    assert.equal(breaker.isOpen, false);
    breaker.failed();
    assert.equal(breaker.isOpen, true);
    assert.deepEqual(opened, [1_000]);
    time.advance(999);
    assert.equal(breaker.isOpen, true);
    time.advance(1);
    assert.equal(breaker.isOpen, false);
  });

  it('opens again at the first failure after the cooldown (half-open)', () => {
    const time = clock();
    const breaker = new CircuitBreaker({ threshold: 3, cooldownMs: 1_000, now: time.now });
    for (let i = 0; i < 3; i++) breaker.failed();
    time.advance(1_000);
    breaker.failed();
    assert.equal(breaker.isOpen, true);
  });

  it('a success in between resets the count', () => {
    const breaker = new CircuitBreaker({ threshold: 3, cooldownMs: 1_000, now: () => 0 });
    breaker.failed();
    breaker.failed();
    breaker.succeeded();
    breaker.failed();
    breaker.failed();
    assert.equal(breaker.isOpen, false);
  });
});
