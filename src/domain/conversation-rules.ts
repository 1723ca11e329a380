import { DomainError, ErrorCodes, validationError } from './errors.ts';

export const ConversationTypes = ['private', 'group'] as const;
export type ConversationType = (typeof ConversationTypes)[number];

export const memberLimits: Record<ConversationType, { min: number; max: number }> = {
  private: { min: 2, max: 2 },
  group: { min: 3, max: 100 },
};

/** Checks the member list of a new conversation; returns it without duplicates, in the order given. */
export function checkMembers(type: ConversationType, members: readonly string[], creatorId: string): string[] {
  const unique = [...new Set(members)];
  if (unique.length !== members.length) {
    throw validationError('members', 'must not contain the same user twice');
  }
  const { min, max } = memberLimits[type];
  if (type === 'private' && unique.length !== 2) {
    throw validationError('members', 'private conversations require exactly 2 members');
  }
  if (unique.length < min || unique.length > max) {
    throw validationError('members', `group conversations require between ${min} and ${max} members`);
  }
  if (!unique.includes(creatorId)) {
    throw new DomainError(ErrorCodes.CREATOR_NOT_MEMBER, 'Access denied: the caller must be one of the members');
  }
  return unique;
}
