import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { keyId, TokenCodec } from '../../src/app/token-codec.ts';
import { DomainError, ErrorCodes, type ErrorCode } from '../../src/domain/errors.ts';
import type { Scope } from '../../src/domain/scopes.ts';

const SECRET = 'test-secret-0123456789';
const TTL = 3600;
const NOW = new Date('2025-01-15T12:00:00.000Z');
const codec = new TokenCodec(SECRET, TTL);
const SESSION = { sessionId: '5c4b3a29-1807-4f6e-9d5c-4b3a2918f7e6', scopes: ['chat'] as Scope[] };
const user = (userId: string, username: string) => ({ userId, username });

function assertCode(code: ErrorCode, run: () => unknown): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof DomainError, `expected DomainError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  });
}

const assertInvalid = (token: string, verifier = codec) => assertCode(ErrorCodes.TOKEN_INVALID, () => verifier.verify(token, NOW));

/** Replaces the character at `index` with a different base64url character. */
function flipCharAt(text: string, index: number): string {
  const replacement = text[index] === 'A' ? 'B' : 'A';
  return text.slice(0, index) + replacement + text.slice(index + 1);
}

function parts(token: string): [string, string, string] {
  const [header, body, signature] = token.split('.');
  assert.ok(header !== undefined && body !== undefined && signature !== undefined);
  return [header, body, signature];
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** Claims the codec would accept, so the cases built on them fail for their header or signature alone. */
const WELL_FORMED = { sub: 'u', name: 'alice', sid: 's', scope: 'chat', iat: 0, exp: 4_102_444_800 };

describe('TokenCodec.issue and verify', () => {
  it('round-trips the user id and username', () => {
    const { token } = codec.issue(user('user-id-1', 'alice'), SESSION, NOW);
    const claims = codec.verify(token, NOW);
    assert.equal(claims.userId, 'user-id-1');
    assert.equal(claims.username, 'alice');
  });

  it('returns the same claims from verify as from issue', () => {
    const { token, claims } = codec.issue(user('user-id-1', 'alice'), SESSION, NOW);
    assert.deepEqual(codec.verify(token, NOW), claims);
  });

  it('round-trips non-ASCII usernames and ids', () => {
    const { token } = codec.issue(user('üser-😀', 'José 名前'), SESSION, NOW);
    const { userId, username } = codec.verify(token, NOW);
    assert.deepEqual({ userId, username }, { userId: 'üser-😀', username: 'José 名前' });
  });

  it('round-trips the session id, the scopes and the issue time', () => {
    const { token } = codec.issue(user('u', 'alice'), { sessionId: 'sid-1', scopes: ['chat', 'admin'] }, NOW);
    const claims = codec.verify(token, NOW);
    assert.equal(claims.sessionId, 'sid-1');
    assert.deepEqual(claims.scopes, ['chat', 'admin']);
    assert.equal(claims.issuedAt.getTime(), NOW.getTime());
  });

  it('writes sid, a space-separated scope, and cid beside the user for a client acting as one', () => {
    const { token } = codec.issue({ userId: 'u', username: 'svc', clientId: 'c' }, { sessionId: 's', scopes: ['chat', 'admin'] }, NOW);
    const payload = JSON.parse(Buffer.from(parts(token)[1], 'base64url').toString('utf8'));
    assert.deepEqual({ sub: payload.sub, name: payload.name, cid: payload.cid, sid: payload.sid, scope: payload.scope }, { sub: 'u', name: 'svc', cid: 'c', sid: 's', scope: 'chat admin' });
    assert.deepEqual(codec.verify(token, NOW).clientId, 'c');
  });

  it('names the client as sub, and no user, on a client token that acts for nobody (RFC 9068)', () => {
    const { token, claims } = codec.issue({ clientId: 'client-1' }, { sessionId: 's', scopes: ['admin'] }, NOW);
    const payload = JSON.parse(Buffer.from(parts(token)[1], 'base64url').toString('utf8'));
    assert.equal(payload.sub, 'client-1');
    assert.equal(payload.name, undefined);
    assert.deepEqual(codec.verify(token, NOW), claims);
    assert.equal(claims.userId, undefined);
    assert.equal(claims.clientId, 'client-1');
  });

  it('drops scope names it does not know', () => {
    assert.deepEqual(codec.verify(resign(`${parts(codec.issue(user('u', 'a'), SESSION, NOW).token)[0]}.${b64({ ...WELL_FORMED, scope: 'chat root' })}`), NOW).scopes, ['chat']);
  });

  it('issues a three-part token of base64url segments', () => {
    const { token } = codec.issue(user('u', 'alice'), SESSION, NOW);
    assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it('expires exactly ttl seconds after a whole-second issue time', () => {
    const { claims } = codec.issue(user('u', 'alice'), SESSION, NOW);
    assert.equal(claims.expiresAt.getTime(), NOW.getTime() + TTL * 1000);
  });

  it('rounds the expiry up to the next whole second for a sub-second issue time', () => {
    const { claims } = codec.issue(user('u', 'alice'), SESSION, new Date(NOW.getTime() + 1));
    assert.equal(claims.expiresAt.getTime(), NOW.getTime() + 1000 + TTL * 1000);
  });

  it('exposes the configured ttl', () => {
    assert.equal(new TokenCodec(SECRET, 42).ttlSeconds, 42);
  });

  it('is valid until just before ttl seconds have passed, for any issue time and ttl (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.integer({ min: 1, max: 30 * 24 * 3600 }),
        (issuedAtMs: number, ttl: number) => {
          const tokens = new TokenCodec(SECRET, ttl);
          const { token, claims } = tokens.issue(user('u', 'alice'), SESSION, new Date(issuedAtMs));
          assert.ok(claims.expiresAt.getTime() - issuedAtMs >= ttl * 1000, 'lifetime ≥ ttl');
          assert.equal(tokens.verify(token, new Date(issuedAtMs + ttl * 1000 - 1)).username, 'alice');
        },
      ),
    );
  });

  it('lives less than ttl + 1 seconds for any issue time and ttl (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        fc.integer({ min: 1, max: 30 * 24 * 3600 }),
        (issuedAtMs: number, ttl: number) => {
          const tokens = new TokenCodec(SECRET, ttl);
          const { token } = tokens.issue(user('u', 'alice'), SESSION, new Date(issuedAtMs));
          assertCode(ErrorCodes.TOKEN_EXPIRED, () => tokens.verify(token, new Date(issuedAtMs + (ttl + 1) * 1000)));
        },
      ),
    );
  });

  it('rejects a token at its expiry instant with TOKEN_EXPIRED', () => {
    const { token, claims } = codec.issue(user('u', 'alice'), SESSION, NOW);
    assertCode(ErrorCodes.TOKEN_EXPIRED, () => codec.verify(token, claims.expiresAt));
  });

  it('rejects a token long after its expiry with TOKEN_EXPIRED', () => {
    const { token } = codec.issue(user('u', 'alice'), SESSION, NOW);
    assertCode(ErrorCodes.TOKEN_EXPIRED, () => codec.verify(token, new Date(NOW.getTime() + 365 * 24 * 3600 * 1000)));
  });
});

describe('TokenCodec.verify rejects forged tokens with TOKEN_INVALID', () => {
  const { token } = codec.issue(user('user-id-1', 'alice'), SESSION, NOW);
  const [header, body, signature] = parts(token);

  it('rejects a token signed with another secret', () => {
    const other = new TokenCodec('another-secret', TTL).issue(user('user-id-1', 'alice'), SESSION, NOW).token;
    assertInvalid(other);
  });

  it('rejects a token when verified with another secret', () => {
    assertInvalid(token, new TokenCodec('another-secret', TTL));
  });

  it('rejects a token whose signature has one character changed', () => {
    assertInvalid(`${header}.${body}.${flipCharAt(signature, 5)}`);
  });

  it('rejects a token whose signature is truncated', () => {
    assertInvalid(`${header}.${body}.${signature.slice(0, -1)}`);
  });

  it('rejects a token with an empty signature', () => {
    assertInvalid(`${header}.${body}.`);
  });

  it('rejects a token whose body has one character changed', () => {
    assertInvalid(`${header}.${flipCharAt(body, 10)}.${signature}`);
  });

  it('rejects a token whose body claims another user, keeping the original signature', () => {
    const forged = b64({ sub: 'user-id-2', name: 'mallory', iat: 0, exp: 4_102_444_800 });
    assertInvalid(`${header}.${forged}.${signature}`);
  });

  it('rejects a token whose header has one character changed', () => {
    assertInvalid(`${flipCharAt(header, 3)}.${body}.${signature}`);
  });

  it('rejects a token whose header says alg "none" and has no signature', () => {
    assertInvalid(`${b64({ alg: 'none', typ: 'JWT' })}.${body}.`);
  });

  it('rejects a token with a fourth segment', () => {
    assertInvalid(`${token}.${signature}`);
  });

  it('rejects a token with a trailing dot', () => {
    assertInvalid(`${token}.`);
  });

  it('rejects an empty string', () => {
    assertInvalid('');
  });

  it('rejects the header and body alone', () => {
    assertInvalid(`${header}.${body}`);
  });

  it('accepts a token signed independently with the same secret (sanity check for the cases below)', () => {
    assert.equal(codec.verify(resign(`${header}.${body}`), NOW).username, 'alice');
  });

  it('rejects a correctly signed body that is not JSON', () => {
    const badBody = Buffer.from('not json', 'utf8').toString('base64url');
    assertInvalid(resign(`${header}.${badBody}`));
  });

  it('rejects a correctly signed body that is JSON null', () => {
    assertInvalid(resign(`${header}.${b64(null)}`));
  });

  it('rejects a correctly signed body without a numeric exp', () => {
    assertInvalid(resign(`${header}.${b64({ sub: 'u', name: 'alice', exp: '4102444800' })}`));
  });

  it('accepts a correctly signed body with every claim the hub writes (sanity check for the cases below)', () => {
    assert.equal(codec.verify(resign(`${header}.${b64(WELL_FORMED)}`), NOW).sessionId, 's');
  });

  for (const claim of ['sid', 'scope', 'iat'] as const) {
    it(`rejects a correctly signed body without ${claim} (a token from before sessions: sign in again)`, () => {
      const { [claim]: _left, ...rest } = WELL_FORMED;
      assertInvalid(resign(`${header}.${b64(rest)}`));
    });
  }

  it('rejects a correctly signed body without name whose sub is not its cid (a user token must name its user)', () => {
    const { name: _name, ...rest } = WELL_FORMED;
    assertInvalid(resign(`${header}.${b64(rest)}`));
    assertInvalid(resign(`${header}.${b64({ ...rest, cid: 'another' })}`));
  });

  it('rejects a correctly signed body without a string sub', () => {
    assertInvalid(resign(`${header}.${b64({ sub: 42, name: 'alice', exp: 4_102_444_800 })}`));
  });

  it('rejects any garbage string with TOKEN_INVALID and no other error (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (garbage: string) => {
        assertInvalid(garbage);
      }),
    );
  });

  it('rejects any three dot-separated garbage segments with TOKEN_INVALID (property)', () => {
    const segment = fc.string({ unit: fc.constantFrom(...'ABCxyz019-_=+/é'), maxLength: 60 });
    fc.assert(
      fc.property(segment, segment, (garbageBody: string, garbageSignature: string) => {
        assertInvalid(`${header}.${garbageBody}.${garbageSignature}`);
      }),
    );
  });

  it('rejects the real token with any single character changed (property)', () => {
    fc.assert(
      fc.property(fc.nat({ max: token.length - 1 }), fc.constantFrom(...'A0_-.x'), (index: number, replacement: string) => {
        fc.pre(token[index] !== replacement);
        assertInvalid(token.slice(0, index) + replacement + token.slice(index + 1));
      }),
    );
  });
});

describe('TokenCodec key ids and rotation', () => {
  const OLD = 'the-previous-key-0123456789abcdef-0123456789';
  const NEW = 'the-current-key-0123456789abcdef-0123456789a';
  const header = (token: string) => JSON.parse(Buffer.from(parts(token)[0], 'base64url').toString('utf8'));

  it('names its key in the header: alg HS256, typ JWT, kid = first 8 bytes of the key\'s SHA-256 in base64url', () => {
    const { token } = codec.issue(user('u', 'alice'), SESSION, NOW);
    const expectedKid = createHash('sha256').update(SECRET).digest().subarray(0, 8).toString('base64url');
    assert.deepEqual(header(token), { alg: 'HS256', typ: 'JWT', kid: expectedKid });
    assert.equal(keyId(SECRET), expectedKid);
    assert.equal(codec.keyId, expectedKid);
  });

  it('gives different keys different ids, and the same key the same id', () => {
    assert.notEqual(keyId(OLD), keyId(NEW));
    assert.equal(new TokenCodec(NEW, TTL).keyId, new TokenCodec(NEW, 1).keyId);
  });

  it('signs with the current key and still verifies tokens of a previous key', () => {
    const before = new TokenCodec(OLD, TTL).issue(user('u', 'alice'), SESSION, NOW).token;
    const rotated = new TokenCodec(NEW, TTL, [OLD]);
    assert.equal(rotated.verify(before, NOW).username, 'alice');
    const after = rotated.issue(user('u', 'alice'), SESSION, NOW).token;
    assert.equal(header(after).kid, keyId(NEW));
    assert.equal(new TokenCodec(NEW, TTL).verify(after, NOW).username, 'alice', 'a new token needs the current key only');
  });

  it('refuses a previous key\'s token once that key is dropped', () => {
    const before = new TokenCodec(OLD, TTL).issue(user('u', 'alice'), SESSION, NOW).token;
    assertInvalid(before, new TokenCodec(NEW, TTL));
  });

  it('still expires a previous key\'s token at its own time', () => {
    const { token, claims } = new TokenCodec(OLD, TTL).issue(user('u', 'alice'), SESSION, NOW);
    assertCode(ErrorCodes.TOKEN_EXPIRED, () => new TokenCodec(NEW, TTL, [OLD]).verify(token, claims.expiresAt));
  });

  it('refuses a token without kid, even when signed with a key it has', () => {
    const body = b64(WELL_FORMED);
    assertInvalid(resign(`${b64({ alg: 'HS256', typ: 'JWT' })}.${body}`));
  });

  it('refuses a token with an unknown kid, signed with a key it has', () => {
    const body = b64(WELL_FORMED);
    assertInvalid(resign(`${b64({ alg: 'HS256', typ: 'JWT', kid: keyId('some other key') })}.${body}`));
  });

  it('refuses a token whose kid names a previous key but which is signed with another key', () => {
    const rotated = new TokenCodec(NEW, TTL, [OLD]);
    const body = b64(WELL_FORMED);
    const headerAndBody = `${b64({ alg: 'HS256', typ: 'JWT', kid: keyId(OLD) })}.${body}`;
    const signedWithNew = createHmac('sha256', NEW).update(headerAndBody).digest('base64url');
    assertInvalid(`${headerAndBody}.${signedWithNew}`, rotated);
  });

  it('refuses a token forged with a key it does not have, whatever its header says', () => {
    const forger = 'an attacker key, long enough to pass any length rule';
    const body = b64(WELL_FORMED);
    for (const forgedHeader of [
      { alg: 'HS256', typ: 'JWT' },
      { alg: 'HS256', typ: 'JWT', kid: keyId(forger) },
      { alg: 'HS256', typ: 'JWT', kid: keyId(SECRET) },
    ]) {
      const headerAndBody = `${b64(forgedHeader)}.${body}`;
      assertInvalid(`${headerAndBody}.${createHmac('sha256', forger).update(headerAndBody).digest('base64url')}`);
    }
  });

  it('accepts the same key listed as current and previous', () => {
    const codecWithDuplicate = new TokenCodec(NEW, TTL, [NEW, OLD]);
    assert.equal(codecWithDuplicate.verify(codecWithDuplicate.issue(user('u', 'alice'), SESSION, NOW).token, NOW).username, 'alice');
  });
});

/**
 * Signs `headerAndBody` with SECRET independently of the codec (HS256, base64url without padding), to reach
 * the checks that run after the signature check.
 */
function resign(headerAndBody: string): string {
  const signature = createHmac('sha256', Buffer.from(SECRET, 'utf8')).update(headerAndBody).digest('base64url');
  return `${headerAndBody}.${signature}`;
}
