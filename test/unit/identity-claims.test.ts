import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  checkCode,
  codeHash,
  isPending,
  openClaim,
  resendWaitSeconds,
  type ClaimPolicy,
  type IdentityClaim,
} from '../../src/domain/identity-claims.ts';
import { isVerificationCodeEvent } from '../../src/domain/verification-codes.ts';

const KEY = 'the-hub-key';
const policy: ClaimPolicy = { codeTtlSeconds: 600, maxAttempts: 5, resendSeconds: 60 };
const who = { userId: '3f2b8c1e-6a4d-4e8b-9c7a-2d5e1f0a9b3c', channel: 'whatsapp', address: '+5511999990001' };
const T0 = new Date('2026-12-03T12:00:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const claimFor = (code: string, now = T0): IdentityClaim => openClaim(policy, { ...who, codeHash: codeHash(KEY, who, code) }, now);

describe('codeHash', () => {
  it('is the same for the same key, claim and code, and differs when any of them does', () => {
    const hash = codeHash(KEY, who, '123456');
    assert.equal(codeHash(KEY, who, '123456'), hash);
    assert.notEqual(codeHash('another-key', who, '123456'), hash);
    assert.notEqual(codeHash(KEY, { ...who, address: '+5511999990002' }, '123456'), hash);
    assert.notEqual(codeHash(KEY, { ...who, userId: '3f2b8c1e-6a4d-4e8b-9c7a-2d5e1f0a9b3d' }, '123456'), hash);
    assert.notEqual(codeHash(KEY, { ...who, channel: 'instagram' }, '123456'), hash);
    assert.notEqual(codeHash(KEY, who, '123457'), hash);
  });

  it('does not contain the code', () => {
    assert.doesNotMatch(codeHash(KEY, who, '123456'), /123456/);
  });
});

describe('openClaim', () => {
  it('gives the policy’s attempts and expires the code its TTL after it was sent', () => {
    const claim = claimFor('123456');
    assert.equal(claim.attemptsLeft, 5);
    assert.deepEqual(claim.sentAt, T0);
    assert.deepEqual(claim.expiresAt, at(600));
  });
});

describe('checkCode', () => {
  const right = (claim: IdentityClaim) => codeHash(KEY, claim, '123456');
  const wrong = (claim: IdentityClaim) => codeHash(KEY, claim, '654321');

  it('matches the code that was sent, until the instant it expires', () => {
    const claim = claimFor('123456');
    assert.deepEqual(checkCode(claim, right(claim), T0), { kind: 'match' });
    assert.deepEqual(checkCode(claim, right(claim), at(599.999)), { kind: 'match' });
    assert.deepEqual(checkCode(claim, right(claim), at(600)), { kind: 'expired' });
  });

  it('costs one attempt per wrong code, and a claim with none left takes no code, not even the right one', () => {
    let claim = claimFor('123456');
    for (const left of [4, 3, 2, 1, 0]) {
      const check = checkCode(claim, wrong(claim), at(1));
      assert.deepEqual(check, { kind: 'wrong', attemptsLeft: left });
      claim = { ...claim, attemptsLeft: left };
    }
    assert.deepEqual(checkCode(claim, right(claim), at(2)), { kind: 'over' });
  });

  it('refuses an expired claim without costing an attempt', () => {
    const claim = claimFor('123456');
    assert.deepEqual(checkCode(claim, wrong(claim), at(601)), { kind: 'expired' });
  });

  it('never matches a code other than the one sent (property)', () => {
    const claim = claimFor('123456');
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9]{6}$/), (code: string) => {
        const check = checkCode(claim, codeHash(KEY, claim, code), T0);
        assert.equal(check.kind === 'match', code === '123456');
      }),
    );
  });

  it('takes a hash of another length as a wrong code', () => {
    const claim = claimFor('123456');
    assert.deepEqual(checkCode(claim, 'abcd', T0), { kind: 'wrong', attemptsLeft: 4 });
  });
});

describe('isPending', () => {
  it('is true while attempts are left and the code has not expired', () => {
    const claim = claimFor('123456');
    assert.equal(isPending(claim, at(1)), true);
    assert.equal(isPending(claim, at(600)), false);
    assert.equal(isPending({ ...claim, attemptsLeft: 0 }, at(1)), false);
  });
});

describe('resendWaitSeconds', () => {
  it('is 0 without an earlier claim, and counts down the resend interval after the last code, whatever became of it', () => {
    const claim = claimFor('123456');
    assert.equal(resendWaitSeconds(policy, undefined, T0), 0);
    assert.equal(resendWaitSeconds(policy, claim, T0), 60);
    assert.equal(resendWaitSeconds(policy, claim, at(59.5)), 1);
    assert.equal(resendWaitSeconds(policy, claim, at(60)), 0);
    assert.equal(resendWaitSeconds(policy, { ...claim, attemptsLeft: 0 }, at(30)), 30, 'an ended claim still holds back the next code');
  });

  it('is 0 at once when the interval is 0', () => {
    assert.equal(resendWaitSeconds({ ...policy, resendSeconds: 0 }, claimFor('123456'), T0), 0);
  });
});

describe('isVerificationCodeEvent', () => {
  const event = { user_id: who.userId, address: who.address, code: '123456', expires_at: at(600).toISOString() };

  it('takes a code record and refuses what lacks a field or has one of the wrong kind', () => {
    assert.equal(isVerificationCodeEvent(event), true);
    for (const bad of [null, [], 'x', { ...event, user_id: 'nope' }, { ...event, code: 123456 }, { ...event, expires_at: 'soon' }, { ...event, address: undefined }]) {
      assert.equal(isVerificationCodeEvent(bad), false, JSON.stringify(bad));
    }
  });
});
