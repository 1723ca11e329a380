import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkMembers } from '../../src/domain/conversation-rules.ts';
import { DomainError, ErrorCodes } from '../../src/domain/errors.ts';

const users = (count: number): string[] => Array.from({ length: count }, (_, i) => `user-${i}`);

/** Asserts `run` throws VALIDATION_FAILED with a field error on `members`. */
function assertMembersInvalid(run: () => unknown): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof DomainError, `expected DomainError, got ${String(error)}`);
    assert.equal(error.code, ErrorCodes.VALIDATION_FAILED);
    assert.ok(error.fieldErrors, 'has field errors');
    assert.deepEqual(Object.keys(error.fieldErrors), ['members']);
    assert.ok((error.fieldErrors.members?.length ?? 0) > 0, 'members has a message');
    return true;
  });
}

function assertCreatorNotMember(run: () => unknown): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof DomainError, `expected DomainError, got ${String(error)}`);
    assert.equal(error.code, ErrorCodes.CREATOR_NOT_MEMBER);
    return true;
  });
}

describe('checkMembers: private conversations', () => {
  it('accepts exactly 2 distinct members including the creator', () => {
    assert.deepEqual(checkMembers('private', ['a', 'b'], 'a'), ['a', 'b']);
  });

  it('accepts the creator in either position', () => {
    assert.deepEqual(checkMembers('private', ['a', 'b'], 'b'), ['a', 'b']);
  });

  it('rejects 1 member with VALIDATION_FAILED on members', () => {
    assertMembersInvalid(() => checkMembers('private', ['a'], 'a'));
  });

  it('rejects 3 members with VALIDATION_FAILED on members', () => {
    assertMembersInvalid(() => checkMembers('private', ['a', 'b', 'c'], 'a'));
  });

  it('rejects an empty member list with VALIDATION_FAILED on members', () => {
    assertMembersInvalid(() => checkMembers('private', [], 'a'));
  });

  it('rejects the same user listed twice with VALIDATION_FAILED on members', () => {
    assertMembersInvalid(() => checkMembers('private', ['a', 'a'], 'a'));
  });

  it('rejects 2 members that do not include the creator with CREATOR_NOT_MEMBER', () => {
    assertCreatorNotMember(() => checkMembers('private', ['b', 'c'], 'a'));
  });
});

describe('checkMembers: group conversations', () => {
  it('accepts 3 members, the minimum', () => {
    assert.deepEqual(checkMembers('group', users(3), 'user-0'), users(3));
  });

  it('accepts 100 members, the maximum', () => {
    assert.deepEqual(checkMembers('group', users(100), 'user-99'), users(100));
  });

  it('rejects 2 members with VALIDATION_FAILED on members', () => {
    assertMembersInvalid(() => checkMembers('group', users(2), 'user-0'));
  });

  it('rejects 101 members with VALIDATION_FAILED on members', () => {
    assertMembersInvalid(() => checkMembers('group', users(101), 'user-0'));
  });

  it('rejects a duplicate even when the distinct members are within limits', () => {
    assertMembersInvalid(() => checkMembers('group', ['a', 'b', 'c', 'b'], 'a'));
  });

  it('rejects a list padded to 3 entries by a duplicate with VALIDATION_FAILED on members', () => {
    assertMembersInvalid(() => checkMembers('group', ['a', 'b', 'a'], 'a'));
  });

  it('rejects a valid-sized list that does not include the creator with CREATOR_NOT_MEMBER', () => {
    assertCreatorNotMember(() => checkMembers('group', users(5), 'someone-else'));
  });

  it('returns the members in the order given', () => {
    assert.deepEqual(checkMembers('group', ['c', 'a', 'b'], 'a'), ['c', 'a', 'b']);
  });

  it('returns a new array, not the caller’s', () => {
    const members = ['a', 'b', 'c'];
    const result = checkMembers('group', members, 'a');
    assert.notEqual(result, members);
  });
});
