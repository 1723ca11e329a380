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
  FILE_TOO_LARGE: 'FILE_TOO_LARGE',
  FILE_ALREADY_COMPLETED: 'FILE_ALREADY_COMPLETED',
  FILE_UPLOAD_FAILED: 'FILE_UPLOAD_FAILED',
  FILE_BEING_VERIFIED: 'FILE_BEING_VERIFIED',
  NOT_FILE_UPLOADER: 'NOT_FILE_UPLOADER',
  CHUNK_SIZE_MISMATCH: 'CHUNK_SIZE_MISMATCH',
  CHUNK_TOO_LARGE: 'CHUNK_TOO_LARGE',
  CHUNK_CHECKSUM_MISMATCH: 'CHUNK_CHECKSUM_MISMATCH',
  CHECKSUM_MISMATCH: 'CHECKSUM_MISMATCH',
  MISSING_CHUNKS: 'MISSING_CHUNKS',
  UPLOAD_URL_EXPIRED: 'UPLOAD_URL_EXPIRED',
  UPLOAD_URL_INVALID: 'UPLOAD_URL_INVALID',
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
  IDENTITY_TAKEN: 'IDENTITY_TAKEN',
  IDENTITY_NOT_FOUND: 'IDENTITY_NOT_FOUND',
  CHANNEL_NOT_FOUND: 'CHANNEL_NOT_FOUND',
  CHANNEL_INBOUND_DISABLED: 'CHANNEL_INBOUND_DISABLED',
  CHANNEL_SIGNATURE_INVALID: 'CHANNEL_SIGNATURE_INVALID',
  WEBHOOK_NOT_FOUND: 'WEBHOOK_NOT_FOUND',
  WEBHOOK_LIMIT_REACHED: 'WEBHOOK_LIMIT_REACHED',
  UPLOAD_LIMIT_REACHED: 'UPLOAD_LIMIT_REACHED',
  STORAGE_QUOTA_EXCEEDED: 'STORAGE_QUOTA_EXCEEDED',
  TOO_MANY_CHUNK_UPLOADS: 'TOO_MANY_CHUNK_UPLOADS',
  RATE_LIMITED: 'RATE_LIMITED',
  LOGIN_BUSY: 'LOGIN_BUSY',
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** field path (e.g. "payload.text", "members.2") → human messages */
export type FieldErrors = Record<string, string[]>;

export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly fieldErrors: FieldErrors | undefined;
  /** Machine-readable details beyond the message, e.g. `missing_chunks` (problem extension members). */
  readonly extensions: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, detail: string, fieldErrors?: FieldErrors, extensions?: Record<string, unknown>) {
    super(detail);
    this.name = 'DomainError';
    this.code = code;
    this.fieldErrors = fieldErrors;
    this.extensions = extensions;
  }
}

export function validationError(field: string, message: string): DomainError {
  return new DomainError(ErrorCodes.VALIDATION_FAILED, `${field}: ${message}`, { [field]: [message] });
}
