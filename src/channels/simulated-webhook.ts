import { createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError, ErrorCodes, type FieldErrors } from '../domain/errors.ts';
import { canonicalUuid } from '../domain/ids.ts';
import {
  ChannelSignatureError,
  type ChannelStatusReport,
  type ChannelWebhookBatch,
  type ChannelWebhookRequest,
  type InboundChannelMessage,
} from '../ports/channel-connector.ts';

/** The header carrying `sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the channel's secret>`. */
export const SIGNATURE_HEADER = 'x-chat4all-signature';
/** The signing time in Unix seconds: signed with the body, so a captured request cannot be replayed later. */
export const TIMESTAMP_HEADER = 'x-chat4all-timestamp';

export function signSimulatedWebhook(secret: string, timestamp: string, rawBody: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest('hex')}`;
}

const STATUSES = ['delivered', 'read', 'failed'] as const;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_ITEMS = 1_000;
const UNIX_SECONDS = /^\d{1,12}$/;

/**
 * The simulated channels' webhook: `{"statuses": [{provider_message_id, status, timestamp?, reason?}],
 * "messages": [{id, from, to? | conversation_id?, text, timestamp?}]}`, signed in SIGNATURE_HEADER together with
 * TIMESTAMP_HEADER, which must be within `toleranceSeconds` of the hub's clock either way (Standard Webhooks' scheme).
 */
export function readSimulatedWebhook(
  secret: string,
  toleranceSeconds: number,
  request: ChannelWebhookRequest,
  nowMs = Date.now(),
): ChannelWebhookBatch {
  const timestamp = request.headers[TIMESTAMP_HEADER];
  if (typeof timestamp !== 'string' || !UNIX_SECONDS.test(timestamp)) {
    throw new ChannelSignatureError(`${TIMESTAMP_HEADER} must be the signing time in Unix seconds`);
  }
  const given = request.headers[SIGNATURE_HEADER];
  const expected = Buffer.from(signSimulatedWebhook(secret, timestamp, request.rawBody));
  const actual = Buffer.from(typeof given === 'string' ? given : '');
  if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
    throw new ChannelSignatureError(`${SIGNATURE_HEADER} does not match the timestamp and body signed with the channel's secret`);
  }
  const skewSeconds = Math.abs(Math.floor(nowMs / 1000) - Number(timestamp));
  if (skewSeconds > toleranceSeconds) {
    throw new ChannelSignatureError(`${TIMESTAMP_HEADER} is ${skewSeconds} s from the hub's clock, outside the ${toleranceSeconds} s replay window`);
  }
  let body: unknown;
  try {
    body = JSON.parse(request.rawBody.toString('utf8'));
  } catch {
    throw invalid({ '(body)': ['is not JSON'] });
  }
  const errors: FieldErrors = {};
  const fail = (field: string, message: string) => void (errors[field] ??= []).push(message);
  if (!isObject(body)) throw invalid({ '(body)': ['must be an object'] });
  const statuses = list(body.statuses, 'statuses', fail).flatMap((item, i) => status(item, `statuses.${i}`, fail));
  const messages = list(body.messages, 'messages', fail).flatMap((item, i) => message(item, `messages.${i}`, fail));
  if (Object.keys(errors).length > 0) throw invalid(errors);
  return { statuses, messages };
}

type Fail = (field: string, message: string) => void;

function status(item: unknown, path: string, fail: Fail): ChannelStatusReport[] {
  if (!isObject(item)) return fail(path, 'must be an object'), [];
  const id = text(item.provider_message_id, `${path}.provider_message_id`, fail, 256);
  const value = item.status;
  if (!STATUSES.includes(value as never)) fail(`${path}.status`, `must be one of ${STATUSES.join(', ')}`);
  const at = time(item.timestamp, `${path}.timestamp`, fail);
  const reason = item.reason === undefined ? undefined : text(item.reason, `${path}.reason`, fail, 1_000);
  if (id === undefined || !STATUSES.includes(value as never) || at === undefined) return [];
  return [{ providerMessageId: id, status: value as ChannelStatusReport['status'], at, ...(reason ? { reason } : {}) }];
}

function message(item: unknown, path: string, fail: Fail): InboundChannelMessage[] {
  if (!isObject(item)) return fail(path, 'must be an object'), [];
  const externalId = text(item.id, `${path}.id`, fail, 256);
  const from = text(item.from, `${path}.from`, fail, 256);
  const to = item.to === undefined ? undefined : text(item.to, `${path}.to`, fail, 256);
  // case-insensitive like every UUID; the hub answers and stores it in lower case
  const conversationId = item.conversation_id;
  if (conversationId !== undefined && !(typeof conversationId === 'string' && UUID.test(conversationId))) {
    fail(`${path}.conversation_id`, 'must be a UUID');
  }
  if ((to === undefined) === (conversationId === undefined)) fail(path, 'needs exactly one of to, conversation_id');
  const body = text(item.text, `${path}.text`, fail, 4_096);
  const at = time(item.timestamp, `${path}.timestamp`, fail);
  if (externalId === undefined || from === undefined || body === undefined || at === undefined) return [];
  return [{
    externalId,
    from,
    ...(to === undefined ? {} : { to }),
    ...(typeof conversationId === 'string' ? { conversationId: canonicalUuid(conversationId) } : {}),
    text: body,
    at,
  }];
}

function list(value: unknown, field: string, fail: Fail): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) return fail(field, 'must be an array'), [];
  if (value.length > MAX_ITEMS) return fail(field, `must have at most ${MAX_ITEMS} items`), [];
  return value;
}

function text(value: unknown, field: string, fail: Fail, max: number): string | undefined {
  // U+0000 and lone surrogates cannot be stored as PostgreSQL text.
  if (typeof value !== 'string' || value.length === 0 || value.length > max || !value.isWellFormed() || value.includes('\u0000')) {
    fail(field, `must be a non-empty string of at most ${max} characters`);
    return undefined;
  }
  return value;
}

/** The channel's time of the event; now when it gives none. */
function time(value: unknown, field: string, fail: Fail): Date | undefined {
  if (value === undefined) return new Date();
  const at = typeof value === 'string' ? new Date(value) : undefined;
  if (!at || Number.isNaN(at.getTime())) return fail(field, 'must be an ISO 8601 date-time'), undefined;
  return at;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(fieldErrors: FieldErrors): DomainError {
  const detail = Object.entries(fieldErrors).map(([field, messages]) => `${field}: ${messages.join(', ')}`).join('; ');
  return new DomainError(ErrorCodes.VALIDATION_FAILED, detail, fieldErrors);
}
