/**
 * The catalogue of coded errors. Use cases throw these; only the HTTP edge maps a code to a status.
 * Codes are part of the public contract: never rename one.
 */
export const ErrorCodes = {
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  TOKEN_MISSING: 'TOKEN_MISSING',
  TOKEN_INVALID: 'TOKEN_INVALID',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  USERNAME_TAKEN: 'USERNAME_TAKEN',
  USER_NOT_FOUND: 'USER_NOT_FOUND',
  UNKNOWN_MEMBERS: 'UNKNOWN_MEMBERS',
  CREATOR_NOT_MEMBER: 'CREATOR_NOT_MEMBER',
  CONVERSATION_NOT_FOUND: 'CONVERSATION_NOT_FOUND',
  NOT_A_MEMBER: 'NOT_A_MEMBER',
  SENDER_MISMATCH: 'SENDER_MISMATCH',
  RECIPIENT_NOT_MEMBER: 'RECIPIENT_NOT_MEMBER',
  MESSAGE_NOT_FOUND: 'MESSAGE_NOT_FOUND',
  FILE_NOT_FOUND: 'FILE_NOT_FOUND',
  FILE_NOT_COMPLETED: 'FILE_NOT_COMPLETED',
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
  IDENTITY_TAKEN: 'IDENTITY_TAKEN',
  IDENTITY_NOT_FOUND: 'IDENTITY_NOT_FOUND',
  CHANNEL_NOT_FOUND: 'CHANNEL_NOT_FOUND',
  CHANNEL_INBOUND_DISABLED: 'CHANNEL_INBOUND_DISABLED',
  CHANNEL_SIGNATURE_INVALID: 'CHANNEL_SIGNATURE_INVALID',
  WEBHOOK_NOT_FOUND: 'WEBHOOK_NOT_FOUND',
  WEBHOOK_LIMIT_REACHED: 'WEBHOOK_LIMIT_REACHED',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** field path (e.g. "payload.text", "members.2") → human messages */
export type FieldErrors = Record<string, string[]>;

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly fieldErrors: FieldErrors | undefined;

  constructor(code: ErrorCode, detail: string, fieldErrors?: FieldErrors) {
    super(detail);
    this.name = 'DomainError';
    this.code = code;
    this.fieldErrors = fieldErrors;
  }
}

export function validationError(field: string, message: string): DomainError {
  return new DomainError(ErrorCodes.VALIDATION_FAILED, `${field}: ${message}`, { [field]: [message] });
}
