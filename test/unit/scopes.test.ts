import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError, ErrorCodes, type ErrorCode } from '../../src/domain/errors.ts';
import { clientScopes, grantedScopes, scopeText } from '../../src/domain/scopes.ts';

function assertCode(code: ErrorCode, run: () => unknown): void {
  assert.throws(run, (error: unknown) => error instanceof DomainError && error.code === code);
}

describe('grantedScopes: what a client credentials request gets', () => {
  it('gives every scope of the client when the request names none (absent or blank)', () => {
    assert.deepEqual(grantedScopes(undefined, ['chat', 'admin']), ['chat', 'admin']);
    assert.deepEqual(grantedScopes('  ', ['admin']), ['admin']);
  });

  it('gives what is asked when the client has it, in the canonical order, once each', () => {
    assert.deepEqual(grantedScopes('admin chat admin', ['chat', 'admin']), ['chat', 'admin']);
    assert.deepEqual(grantedScopes('admin', ['chat', 'admin']), ['admin']);
  });

  it('refuses a scope the client lacks, or an unknown one, with INVALID_SCOPE', () => {
    assertCode(ErrorCodes.INVALID_SCOPE, () => grantedScopes('admin', ['chat']));
    assertCode(ErrorCodes.INVALID_SCOPE, () => grantedScopes('chat root', ['chat', 'admin']));
  });

  it('writes scopes space-separated, as OAuth does', () => {
    assert.equal(scopeText(['chat', 'admin']), 'chat admin');
  });
});

describe('clientScopes: what a client may be given', () => {
  it('takes known scopes in canonical order', () => {
    assert.deepEqual(clientScopes(['admin', 'chat'], true), ['chat', 'admin']);
    assert.deepEqual(clientScopes(['admin'], false), ['admin']);
  });

  it('refuses chat to a client that acts as no user: a chat token is always a user\'s', () => {
    assertCode(ErrorCodes.VALIDATION_FAILED, () => clientScopes(['chat'], false));
  });

  it('refuses unknown scopes and an empty list', () => {
    assertCode(ErrorCodes.VALIDATION_FAILED, () => clientScopes(['root'], true));
    assertCode(ErrorCodes.VALIDATION_FAILED, () => clientScopes([], true));
  });
});
