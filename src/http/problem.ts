import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, ErrorCodes, type ErrorCode, type FieldErrors } from '../domain/errors.ts';
import { bytesText } from './body-limits.ts';

/** HTTP status for each domain error code: the one place where codes meet HTTP. */
const statusOf: Record<ErrorCode, number> = {
  [ErrorCodes.VALIDATION_FAILED]: 400,
  [ErrorCodes.UNKNOWN_MEMBERS]: 400,
  [ErrorCodes.RECIPIENT_NOT_MEMBER]: 400,
  [ErrorCodes.INVALID_CREDENTIALS]: 401,
  [ErrorCodes.TOKEN_MISSING]: 401,
  [ErrorCodes.TOKEN_INVALID]: 401,
  [ErrorCodes.TOKEN_EXPIRED]: 401,
  [ErrorCodes.CREATOR_NOT_MEMBER]: 403,
  [ErrorCodes.NOT_A_MEMBER]: 403,
  [ErrorCodes.SENDER_MISMATCH]: 403,
  [ErrorCodes.USER_NOT_FOUND]: 404,
  [ErrorCodes.CONVERSATION_NOT_FOUND]: 404,
  [ErrorCodes.MESSAGE_NOT_FOUND]: 404,
  [ErrorCodes.FILE_NOT_FOUND]: 404,
  [ErrorCodes.WEBHOOK_NOT_FOUND]: 404,
  [ErrorCodes.USERNAME_TAKEN]: 409,
  [ErrorCodes.FILE_NOT_COMPLETED]: 409,
  [ErrorCodes.IDEMPOTENCY_CONFLICT]: 409,
  // The draft's answer to a retry that overtakes the request it repeats.
  [ErrorCodes.IDEMPOTENCY_REQUEST_IN_PROGRESS]: 409,
  [ErrorCodes.IDENTITY_TAKEN]: 409,
  [ErrorCodes.IDENTITY_NOT_FOUND]: 404,
  [ErrorCodes.IDENTITY_CLAIM_NOT_FOUND]: 404,
  [ErrorCodes.IDENTITY_CODE_INVALID]: 400,
  [ErrorCodes.IDENTITY_CODE_EXPIRED]: 410,
  [ErrorCodes.IDENTITY_CODE_THROTTLED]: 429,
  [ErrorCodes.CHANNEL_NOT_FOUND]: 404,
  [ErrorCodes.CHANNEL_INBOUND_DISABLED]: 404,
  [ErrorCodes.CHANNEL_SIGNATURE_INVALID]: 401,
  [ErrorCodes.FILE_TOO_LARGE]: 413,
  [ErrorCodes.FILE_ALREADY_COMPLETED]: 409,
  [ErrorCodes.FILE_UPLOAD_FAILED]: 409,
  [ErrorCodes.FILE_BEING_VERIFIED]: 409,
  [ErrorCodes.NOT_FILE_UPLOADER]: 403,
  [ErrorCodes.CHUNK_SIZE_MISMATCH]: 400,
  [ErrorCodes.CHUNK_TOO_LARGE]: 413,
  [ErrorCodes.CHUNK_CHECKSUM_MISMATCH]: 400,
  [ErrorCodes.CHECKSUM_MISMATCH]: 400,
  [ErrorCodes.MISSING_CHUNKS]: 400,
  [ErrorCodes.UPLOAD_URL_EXPIRED]: 403,
  [ErrorCodes.UPLOAD_URL_INVALID]: 403,
  [ErrorCodes.WEBHOOK_LIMIT_REACHED]: 409,
  [ErrorCodes.UPLOAD_LIMIT_REACHED]: 409,
  [ErrorCodes.STORAGE_QUOTA_EXCEEDED]: 409,
  [ErrorCodes.TOO_MANY_CHUNK_UPLOADS]: 429,
  [ErrorCodes.RATE_LIMITED]: 429,
  [ErrorCodes.LOGIN_BUSY]: 503,
  // OAuth's invalid_grant and invalid_scope are 400s (RFC 6749 §5.2); invalid_client a 401.
  [ErrorCodes.REFRESH_TOKEN_INVALID]: 400,
  [ErrorCodes.INVALID_SCOPE]: 400,
  [ErrorCodes.CLIENT_CREDENTIALS_INVALID]: 401,
  [ErrorCodes.TOKEN_REVOKED]: 401,
  // Signing in again cannot help a disabled account, and RFC 6750's insufficient_scope is a 403.
  [ErrorCodes.USER_DISABLED]: 403,
  [ErrorCodes.INSUFFICIENT_SCOPE]: 403,
  [ErrorCodes.CLIENT_NOT_FOUND]: 404,
};

/** Errors that only the HTTP edge raises (framework, transport, availability). */
export const EdgeErrorCodes = {
  MALFORMED_JSON: 'MALFORMED_JSON',
  BAD_REQUEST: 'BAD_REQUEST',
  BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  ROUTE_NOT_FOUND: 'ROUTE_NOT_FOUND',
  RANGE_NOT_SATISFIABLE: 'RANGE_NOT_SATISFIABLE',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  SERVICE_UNAVAILABLE: 'SERVICE_UNAVAILABLE',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
} as const;

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** An RFC 9457 problem document, with the seed's `error_code` and `field_errors` members. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  error_code: string;
  instance?: string;
  field_errors?: FieldErrors;
  /** Extension members (RFC 9457 §3.2), e.g. `missing_chunks`. */
  [extension: string]: unknown;
}

export function problem(
  status: number,
  errorCode: string,
  detail: string,
  fieldErrors?: FieldErrors,
  extensions?: Record<string, unknown>,
): Problem {
  return {
    ...extensions,
    type: `https://chat4all.dev/errors/${errorCode.toLowerCase().replaceAll('_', '-')}`,
    title: titles[status] ?? 'Error',
    status,
    detail,
    error_code: errorCode,
    ...(fieldErrors ? { field_errors: fieldErrors } : {}),
  };
}

/**
 * A chunk or login refused for want of a slot can come back as soon as one is free: they take seconds at most. A
 * problem that knows how long to wait says so in `retry_after_seconds`.
 */
const BUSY_RETRY_AFTER_SECONDS = 1;

export function sendProblem(reply: FastifyReply, body: Problem): FastifyReply {
  // Clients send their credentials with HTTP Basic (RFC 6749 §2.3.1): their 401 challenges that scheme.
  if (body.status === 401) reply.header('www-authenticate', body.error_code === ErrorCodes.CLIENT_CREDENTIALS_INVALID ? 'Basic realm="chat4all"' : 'Bearer');
  // A 503 for an unreachable dependency has set its own, longer, Retry-After.
  if ((body.status === 429 || body.status === 503) && !reply.hasHeader('retry-after')) {
    const wait = typeof body.retry_after_seconds === 'number' ? body.retry_after_seconds : BUSY_RETRY_AFTER_SECONDS;
    reply.header('retry-after', String(wait));
  }
  return reply.code(body.status).type('application/problem+json').send({ ...body, instance: reply.request.url });
}

/** Maps anything thrown by a route to a problem; unknown errors become a logged 500 that leaks nothing. */
export function toProblem(error: unknown, request: FastifyRequest): Problem {
  if (error instanceof DomainError) {
    return problem(statusOf[error.code], error.code, error.message, error.fieldErrors, error.extensions);
  }
  const fastifyError = error as Partial<FastifyError> & { fieldErrors?: FieldErrors; omittedFields?: number };
  if (fastifyError.validation) {
    const fields = fastifyError.fieldErrors ?? {};
    const omitted = fastifyError.omittedFields ?? 0;
    const detail = Object.entries(fields)
      .map(([field, messages]) => `${field}: ${messages.join('; ')}`)
      .concat(omitted > 0 ? [`and ${omitted} more fields`] : [])
      .join(', ');
    const extensions = omitted > 0 ? { field_errors_omitted: omitted } : undefined;
    return problem(400, ErrorCodes.VALIDATION_FAILED, detail || 'The request is not valid', fields, extensions);
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem(413, EdgeErrorCodes.BODY_TOO_LARGE, `The request body is larger than ${bytesText(request.routeOptions.bodyLimit)}`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem(415, EdgeErrorCodes.UNSUPPORTED_MEDIA_TYPE, `Send the body as ${acceptedMediaTypes(request)}`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem(400, EdgeErrorCodes.MALFORMED_JSON, 'The body is empty but the content type is application/json');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return problem(400, EdgeErrorCodes.MALFORMED_JSON, 'The body is not valid JSON');
  }
  if (error instanceof SyntaxError) {
    return problem(400, EdgeErrorCodes.MALFORMED_JSON, `The body is not valid JSON: ${error.message}`);
  }
  if (fastifyError.statusCode && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return problem(fastifyError.statusCode, EdgeErrorCodes.BAD_REQUEST, fastifyError.message ?? 'Bad request');
  }
  request.log.error({ err: error }, 'unhandled error');
  return problem(500, EdgeErrorCodes.INTERNAL_ERROR, 'An unexpected error occurred; it has been logged');
}

/** The media types a route documents for its body (schema `content`), or JSON, which is every other route's. */
function acceptedMediaTypes(request: FastifyRequest): string {
  const body = request.routeOptions.schema?.body as { content?: Record<string, unknown> } | undefined;
  return new Intl.ListFormat('en', { type: 'disjunction' }).format(body?.content ? Object.keys(body.content) : ['application/json']);
}
