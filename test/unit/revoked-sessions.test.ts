import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RevokedSessions } from '../../src/app/revoked-sessions.ts';
import type { RevokedSession, SessionStore } from '../../src/ports/session-store.ts';

const silent = { info() {}, warn() {}, error() {}, debug() {} } as never;
const inAMinute = () => new Date(Date.now() + 60_000);

/** A revocation log in memory: rows get seqs 1, 2, … */
function logOf(rows: RevokedSession[]): Pick<SessionStore, 'endedAfter' | 'prune'> & { reads: number[] } {
  const reads: number[] = [];
  return {
    reads,
    async endedAfter(cursor, limit) {
      reads.push(cursor);
      const sessions = rows.slice(cursor, cursor + limit);
      return { sessions, cursor: cursor + sessions.length };
    },
    async prune() {},
  };
}

describe('RevokedSessions', () => {
  it('refuses a session added here at once, and tells its watchers once', () => {
    const revoked = new RevokedSessions(logOf([]) as unknown as SessionStore, silent);
    let told = 0;
    revoked.watch('s1', () => told++);
    revoked.add([{ sessionId: 's1', expiresAt: inAMinute() }]);
    revoked.add([{ sessionId: 's1', expiresAt: inAMinute() }]);
    assert.equal(revoked.has('s1'), true);
    assert.equal(revoked.has('s2'), false);
    assert.equal(told, 1);
  });

  it('does not tell a watcher that stopped watching', () => {
    const revoked = new RevokedSessions(logOf([]) as unknown as SessionStore, silent);
    let told = 0;
    const stop = revoked.watch('s1', () => told++);
    stop();
    revoked.add([{ sessionId: 's1', expiresAt: inAMinute() }]);
    assert.equal(told, 0);
  });

  it('tells a watcher that came after the session ended (ended between the token check and the watch)', async () => {
    const revoked = new RevokedSessions(logOf([]) as unknown as SessionStore, silent);
    revoked.add([{ sessionId: 's1', expiresAt: inAMinute() }]);
    let told = 0;
    revoked.watch('s1', () => told++);
    await Promise.resolve();
    assert.equal(told, 1);
  });

  it('ignores sessions whose access tokens have all expired: nothing is left to refuse', () => {
    const revoked = new RevokedSessions(logOf([]) as unknown as SessionStore, silent);
    revoked.add([{ sessionId: 'old', expiresAt: new Date(Date.now() - 1) }]);
    assert.equal(revoked.has('old'), false);
  });

  it('reads the log in pages from its cursor, then only what came after', async () => {
    const rows = Array.from({ length: 2_500 }, (_, i) => ({ sessionId: `s${i}`, expiresAt: inAMinute() }));
    const log = logOf(rows);
    const revoked = new RevokedSessions(log as unknown as SessionStore, silent);
    await revoked.sync();
    assert.deepEqual(log.reads, [0, 1_000, 2_000]);
    assert.equal(revoked.has('s0') && revoked.has('s2499'), true);
    rows.push({ sessionId: 'late', expiresAt: inAMinute() });
    await revoked.sync();
    assert.deepEqual(log.reads.slice(3), [2_500]);
    assert.equal(revoked.has('late'), true);
  });
});
