import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryRateLimitStore } from '../../src/adapters/memory/memory-rate-limit-store.ts';
import { RateLimiter, rateLimitPolicies } from '../../src/app/rate-limiter.ts';
import { ConfigError, loadConfig, rateLimitQuota } from '../../src/config.ts';
import { DomainError } from '../../src/domain/errors.ts';
import { countInWindow, decide, duration, rateLimitedError, refusingLimit, type RateLimitPolicy } from '../../src/domain/rate-limits.ts';
import { rateLimitField, rateLimitPolicyField, sfString } from '../../src/http/rate-limit-fields.ts';
import type { Logger } from '../../src/ports/logger.ts';

const sends: RateLimitPolicy = { name: 'sends', quota: 3, windowSeconds: 60, counts: 'messages sent by one user' };
const logins: RateLimitPolicy = { name: 'login-username', quota: 20, windowSeconds: 300, counts: 'login attempts for one username' };

describe('fixed windows per key', () => {
  it('starts a window at a key\'s first request and counts within it', () => {
    const first = countInWindow(undefined, 1_000, 60_000);
    assert.deepEqual(first, { count: 1, endsAt: 61_000 });
    assert.deepEqual(countInWindow(first, 60_999, 60_000), { count: 2, endsAt: 61_000 });
  });

  it('starts anew once the window ended, at the request that comes after it', () => {
    assert.deepEqual(countInWindow({ count: 9, endsAt: 61_000 }, 61_000, 60_000), { count: 1, endsAt: 121_000 });
    assert.deepEqual(countInWindow({ count: 9, endsAt: 61_000 }, 500_000, 60_000), { count: 1, endsAt: 560_000 });
  });
});

describe('decide', () => {
  it('allows up to the quota and counts down what remains', () => {
    assert.deepEqual(decide(sends, { count: 1, resetMs: 60_000 }), { policy: sends, allowed: true, remaining: 2, resetSeconds: 60 });
    assert.deepEqual(decide(sends, { count: 3, resetMs: 59_001 }), { policy: sends, allowed: true, remaining: 0, resetSeconds: 60 });
  });

  it('refuses past the quota, with nothing remaining and never a negative count', () => {
    assert.deepEqual(decide(sends, { count: 7, resetMs: 12_000 }), { policy: sends, allowed: false, remaining: 0, resetSeconds: 12 });
  });

  it('rounds the seconds to reset up, and says 1 at least, so a client waiting that long finds the window over', () => {
    assert.equal(decide(sends, { count: 4, resetMs: 1_001 }).resetSeconds, 2);
    assert.equal(decide(sends, { count: 4, resetMs: 1 }).resetSeconds, 1);
    assert.equal(decide(sends, { count: 4, resetMs: 0 }).resetSeconds, 1);
  });
});

describe('refusals', () => {
  const allowed = decide(logins, { count: 1, resetMs: 300_000 });
  const soon = decide(sends, { count: 4, resetMs: 5_000 });
  const later = decide(logins, { count: 21, resetMs: 200_000 });

  it('names no limit when every one allowed the request', () => {
    assert.equal(refusingLimit([allowed]), undefined);
    assert.equal(refusingLimit([]), undefined);
  });

  it('names, of several refusing limits, the one that frees up last', () => {
    assert.equal(refusingLimit([soon, later, allowed]), later);
    assert.equal(refusingLimit([allowed, soon]), soon);
  });

  it('is a RATE_LIMITED error naming the limit, its size and when to retry', () => {
    const error = rateLimitedError(later);
    assert.ok(error instanceof DomainError);
    assert.equal(error.code, 'RATE_LIMITED');
    assert.equal(error.message, 'Rate limit "login-username" reached: at most 20 login attempts for one username every 5 minutes; retry in 200 s');
    assert.deepEqual(error.extensions, { rate_limit: 'login-username', quota: 20, window_seconds: 300, retry_after_seconds: 200 });
  });

  it('says windows as people do', () => {
    assert.equal(duration(1), 'second');
    assert.equal(duration(90), '90 seconds');
    assert.equal(duration(60), 'minute');
    assert.equal(duration(300), '5 minutes');
    assert.equal(duration(3600), 'hour');
    assert.equal(duration(7200), '2 hours');
  });
});

describe('RateLimit and RateLimit-Policy fields', () => {
  it('describe one limit as a Structured Field list item with its parameters', () => {
    const decision = decide(sends, { count: 1, resetMs: 60_000 });
    assert.equal(rateLimitPolicyField([sends]), '"sends";q=3;w=60');
    assert.equal(rateLimitField([decision]), '"sends";r=2;t=60');
  });

  it('list every limit that applied, in order', () => {
    const decisions = [decide(sends, { count: 5, resetMs: 30_500 }), decide(logins, { count: 2, resetMs: 299_000 })];
    assert.equal(rateLimitPolicyField([sends, logins]), '"sends";q=3;w=60, "login-username";q=20;w=300');
    assert.equal(rateLimitField(decisions), '"sends";r=0;t=31, "login-username";r=18;t=299');
  });

  it('quote names as sf-strings', () => {
    assert.equal(sfString('a"b\\c'), '"a\\"b\\\\c"');
  });
});

describe('rate-limit settings', () => {
  it('reads a quota per window in seconds, minutes or hours', () => {
    assert.deepEqual(rateLimitQuota('X', '3000/1m'), { quota: 3000, windowSeconds: 60 });
    assert.deepEqual(rateLimitQuota('X', '20/300s'), { quota: 20, windowSeconds: 300 });
    assert.deepEqual(rateLimitQuota('X', '20/300'), { quota: 20, windowSeconds: 300 });
    assert.deepEqual(rateLimitQuota('X', '60/1h'), { quota: 60, windowSeconds: 3600 });
    assert.equal(rateLimitQuota('X', 'off'), undefined);
  });

  it('refuses what is not a quota per window, naming the variable', () => {
    for (const raw of ['3000', '0/1m', '10/0s', '10/2d', '-1/1m', '10/25h', 'ten/1m']) {
      assert.throws(() => rateLimitQuota('CHAT4ALL_RATE_LIMIT_SENDS', raw), (error: Error) => error instanceof ConfigError && error.message.includes('CHAT4ALL_RATE_LIMIT_SENDS'), raw);
    }
  });

  it('has every limit on by default, in memory', () => {
    const config = loadConfig({});
    assert.deepEqual(config.rateLimits, {
      loginAddress: { quota: 60, windowSeconds: 60 },
      loginUsername: { quota: 20, windowSeconds: 300 },
      sends: { quota: 3000, windowSeconds: 60 },
      uploads: { quota: 100, windowSeconds: 60 },
      chunks: { quota: 1200, windowSeconds: 60 },
      webhooks: { quota: 60, windowSeconds: 3600 },
    });
    assert.equal(config.redis, undefined);
  });

  it('turns every limit off with CHAT4ALL_RATE_LIMITS=off, and one with its own variable', () => {
    assert.deepEqual(loadConfig({ CHAT4ALL_RATE_LIMITS: 'off' }).rateLimits, {});
    assert.equal(loadConfig({ CHAT4ALL_RATE_LIMIT_SENDS: 'off' }).rateLimits.sends, undefined);
  });

  it('counts in Redis with REDIS_URL, under a key prefix', () => {
    assert.deepEqual(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6390' }).redis, { url: 'redis://127.0.0.1:6390', keyPrefix: 'chat4all:' });
    assert.equal(loadConfig({ REDIS_URL: 'redis://r:6379', REDIS_KEY_PREFIX: 'eu1:' }).redis?.keyPrefix, 'eu1:');
    assert.throws(() => loadConfig({ REDIS_URL: 'localhost:6379' }), ConfigError);
  });

  it('warns when API processes on a database server would each count on their own', () => {
    const url = 'postgres://db/chat4all';
    assert.ok(loadConfig({ DATABASE_URL: url }).warnings.some((warning) => warning.includes('REDIS_URL')));
    assert.ok(!loadConfig({ DATABASE_URL: url, REDIS_URL: 'redis://r:6379' }).warnings.some((warning) => warning.includes('REDIS_URL')));
    assert.ok(!loadConfig({ DATABASE_URL: url, CHAT4ALL_RATE_LIMITS: 'off' }).warnings.some((warning) => warning.includes('REDIS_URL')));
  });

  it('names each limit for the fields', () => {
    const policies = rateLimitPolicies({ sends: { quota: 5, windowSeconds: 10 } });
    assert.deepEqual(policies, { sends: { name: 'sends', counts: 'messages sent by one user', quota: 5, windowSeconds: 10 } });
  });
});

describe('the in-memory store', () => {
  it('counts per key within its window and starts again after it', async () => {
    let now = 0;
    const store = new MemoryRateLimitStore(() => now);
    assert.deepEqual(store.hit('a', 10_000), { count: 1, resetMs: 10_000 });
    now = 4_000;
    assert.deepEqual(store.hit('a', 10_000), { count: 2, resetMs: 6_000 });
    assert.deepEqual(store.hit('b', 10_000), { count: 1, resetMs: 10_000 });
    now = 10_000;
    assert.deepEqual(store.hit('a', 10_000), { count: 1, resetMs: 10_000 });
  });

  it('drops ended windows now and then, so keys seen once do not pile up', async () => {
    let now = 0;
    const store = new MemoryRateLimitStore(() => now);
    for (let i = 0; i < 100; i++) store.hit(`address-${i}`, 1_000);
    assert.equal(store.size, 100);
    now = 120_000;
    store.hit('late', 1_000);
    assert.equal(store.size, 1);
  });
});

describe('RateLimiter', () => {
  const warnings: object[] = [];
  const log = { warn: (fields: object) => warnings.push(fields), info() {}, debug() {}, error() {}, child: () => log } as unknown as Logger;

  it('counts each limit under its own name, so one key in two limits has two counters', async () => {
    const limiter = new RateLimiter(new MemoryRateLimitStore(), log);
    const other = { ...sends, name: 'uploads' };
    assert.equal((await limiter.check(sends, 'u1'))?.remaining, 2);
    assert.equal((await limiter.check(other, 'u1'))?.remaining, 2);
    assert.equal((await limiter.check(sends, 'u1'))?.remaining, 1);
  });

  it('answers at once when its store does (memory), so the send path waits for nothing', () => {
    const limiter = new RateLimiter(new MemoryRateLimitStore(), log);
    const decision = limiter.check(sends, 'u9');
    assert.ok(!(decision instanceof Promise));
    assert.equal(decision?.remaining, 2);
  });

  it('fails open: a store that cannot answer lets the request through unchecked, with one warning', async () => {
    const broken = { hit: () => Promise.reject(new Error('ECONNREFUSED')), ping: async () => {}, close: async () => {} };
    const limiter = new RateLimiter(broken, log);
    warnings.length = 0;
    assert.equal(await limiter.check(sends, 'u1'), undefined);
    assert.equal(await limiter.check(sends, 'u1'), undefined);
    assert.equal(warnings.length, 1, 'one warning, not one per request');
  });

  it('fails open on a store that throws at once, too', () => {
    const throwing = { hit: () => { throw new Error('closed'); }, ping: async () => {}, close: async () => {} };
    assert.equal(new RateLimiter(throwing, log).check(sends, 'u1'), undefined);
  });
});
