import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError, ErrorCodes } from '../../src/domain/errors.ts';
import { checkNewCredentials } from '../../src/domain/user-rules.ts';

const goodPassword = 'password123';

function assertFieldInvalid(field: string, run: () => unknown): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof DomainError, `expected DomainError, got ${String(error)}`);
    assert.equal(error.code, ErrorCodes.VALIDATION_FAILED);
    assert.deepEqual(Object.keys(error.fieldErrors ?? {}), [field]);
    return true;
  });
}

describe('checkNewCredentials: username', () => {
  it('accepts letters, digits, "_", "." and "-"', () => {
    assert.doesNotThrow(() => checkNewCredentials('Alice_01.b-c', goodPassword));
  });

  it('accepts a 1-character username', () => {
    assert.doesNotThrow(() => checkNewCredentials('a', goodPassword));
  });

  it('accepts a 64-character username', () => {
    assert.doesNotThrow(() => checkNewCredentials('a'.repeat(64), goodPassword));
  });

  it('rejects an empty username on field username', () => {
    assertFieldInvalid('username', () => checkNewCredentials('', goodPassword));
  });

  it('rejects a 65-character username on field username', () => {
    assertFieldInvalid('username', () => checkNewCredentials('a'.repeat(65), goodPassword));
  });

  it('rejects a username with a space on field username', () => {
    assertFieldInvalid('username', () => checkNewCredentials('alice smith', goodPassword));
  });

  it('rejects a username with a non-ASCII letter on field username', () => {
    assertFieldInvalid('username', () => checkNewCredentials('josé', goodPassword));
  });

  it('rejects a username ending in a newline on field username', () => {
    assertFieldInvalid('username', () => checkNewCredentials('alice\n', goodPassword));
  });

  it('rejects a username with "@" on field username', () => {
    assertFieldInvalid('username', () => checkNewCredentials('alice@example', goodPassword));
  });

  it('rejects a username with "/" on field username', () => {
    assertFieldInvalid('username', () => checkNewCredentials('a/b', goodPassword));
  });

  it('reports the username before the password when both are bad', () => {
    assertFieldInvalid('username', () => checkNewCredentials('', 'short'));
  });
});

describe('checkNewCredentials: password', () => {
  it('accepts an 8-character password', () => {
    assert.doesNotThrow(() => checkNewCredentials('alice', '12345678'));
  });

  it('rejects a 7-character password on field password', () => {
    assertFieldInvalid('password', () => checkNewCredentials('alice', '1234567'));
  });

  it('rejects an empty password on field password', () => {
    assertFieldInvalid('password', () => checkNewCredentials('alice', ''));
  });

  it('accepts a 72-byte ASCII password', () => {
    assert.doesNotThrow(() => checkNewCredentials('alice', 'p'.repeat(72)));
  });

  it('rejects a 73-byte ASCII password on field password', () => {
    assertFieldInvalid('password', () => checkNewCredentials('alice', 'p'.repeat(73)));
  });

  it('accepts 36 two-byte characters (72 bytes)', () => {
    assert.doesNotThrow(() => checkNewCredentials('alice', 'é'.repeat(36)));
  });

  it('rejects 37 two-byte characters (74 bytes) even though it is only 37 characters long', () => {
    assertFieldInvalid('password', () => checkNewCredentials('alice', 'é'.repeat(37)));
  });

  it('rejects 19 four-byte characters (76 bytes) on field password', () => {
    assertFieldInvalid('password', () => checkNewCredentials('alice', '😀'.repeat(19)));
  });
});
