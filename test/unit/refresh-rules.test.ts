import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes } from '../../src/domain/errors.ts';
import { judgeRefresh, type RefreshTokenState } from '../../src/domain/refresh-rules.ts';

const NOW = new Date('2026-12-03T12:00:00.000Z');
const fresh: RefreshTokenState = { spent: false, expiresAt: new Date(NOW.getTime() + 60_000), sessionRevoked: false, userActive: true };

const codeOf = (verdict: ReturnType<typeof judgeRefresh>) => (verdict.kind === 'rotate' ? undefined : verdict.error.code);

describe('judgeRefresh: rotation with reuse detection', () => {
  it('rotates an unspent, unexpired token of a live session of an active user', () => {
    assert.deepEqual(judgeRefresh(fresh, NOW), { kind: 'rotate' });
  });

  it('refuses an unknown token, changing nothing', () => {
    const verdict = judgeRefresh(undefined, NOW);
    assert.equal(verdict.kind, 'refuse');
    assert.equal(codeOf(verdict), ErrorCodes.REFRESH_TOKEN_INVALID);
  });

  it('ends the family when a spent token comes back (reuse), and refuses it', () => {
    const verdict = judgeRefresh({ ...fresh, spent: true }, NOW);
    assert.equal(verdict.kind, 'reuse');
    assert.equal(codeOf(verdict), ErrorCodes.REFRESH_TOKEN_INVALID);
  });

  it('ends the family for a spent token even once it has expired: it is still a second use', () => {
    assert.equal(judgeRefresh({ ...fresh, spent: true, expiresAt: new Date(NOW.getTime() - 1) }, NOW).kind, 'reuse');
  });

  it('refuses a spent token of an already ended session without ending anything again', () => {
    const verdict = judgeRefresh({ ...fresh, spent: true, sessionRevoked: true }, NOW);
    assert.equal(verdict.kind, 'refuse');
    assert.equal(codeOf(verdict), ErrorCodes.REFRESH_TOKEN_INVALID);
  });

  it('refuses a token at its expiry instant and after', () => {
    for (const expiresAt of [NOW, new Date(NOW.getTime() - 1_000)]) {
      const verdict = judgeRefresh({ ...fresh, expiresAt }, NOW);
      assert.equal(verdict.kind, 'refuse');
      assert.equal(codeOf(verdict), ErrorCodes.REFRESH_TOKEN_INVALID);
    }
  });

  it('refuses a disabled user with USER_DISABLED, before anything else about the token', () => {
    for (const state of [{ ...fresh, userActive: false }, { ...fresh, userActive: false, spent: true, sessionRevoked: true }]) {
      const verdict = judgeRefresh(state, NOW);
      assert.equal(verdict.kind, 'refuse');
      assert.equal(codeOf(verdict), ErrorCodes.USER_DISABLED);
    }
  });
});
