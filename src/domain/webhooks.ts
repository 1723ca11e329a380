import type { HubEventType } from './hub-events.ts';

/** Longer URLs are refused: they are stored per webhook and sent on every delivery. */
export const WEBHOOK_URL_MAX_LENGTH = 2048;

/** Each webhook multiplies the work of every event of its user, so a user has a bounded number of them. */
export const MAX_WEBHOOKS_PER_USER = 20;

const ABSOLUTE_HTTP = /^https?:\/\/\S+$/i;

/** Why `url` cannot receive webhooks, or undefined when it can. */
export function webhookUrlProblem(url: string): string | undefined {
  if (url.length > WEBHOOK_URL_MAX_LENGTH) return `must be at most ${WEBHOOK_URL_MAX_LENGTH} characters`;
  if (!ABSOLUTE_HTTP.test(url) || !URL.canParse(url)) return 'must be an absolute http or https URL';
  const parsed = new URL(url);
  // fetch refuses URLs with credentials; a receiver that needs a token can take it in the path or the query.
  if (parsed.username || parsed.password) return 'must not contain a user name or password';
  return undefined;
}

/** One event of a user's feed, as a webhook delivery carries it. */
export interface WebhookEvent {
  /** The event's id in its user's feed (the WebSocket's `id`): strictly increasing, so receivers can order. */
  eventId: number;
  type: HubEventType;
  occurredAt: Date;
  data: unknown;
}

/** The JSON body of a delivery, in the Standard Webhooks shape: type, timestamp, data. */
export function webhookPayload(event: WebhookEvent) {
  return { type: event.type, timestamp: event.occurredAt.toISOString(), data: event.data, event_id: event.eventId };
}
