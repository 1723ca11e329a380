import type { HubEventType } from '../domain/hub-events.ts';
import type { WebhookEvent } from '../domain/webhooks.ts';

/** A user's endpoint for some of the events of their feed. */
export interface Webhook {
  webhookId: string;
  userId: string;
  url: string;
  events: HubEventType[];
  createdAt: Date;
}

/** A delivery that kept failing for the whole retry window. */
export interface WebhookDeadLetter {
  deliveryId: string;
  event: WebhookEvent;
  attempts: number;
  firstAttemptAt: Date;
  lastAttemptAt: Date;
  /** The HTTP status of the last attempt; null when it got none (refused, reset, timed out). */
  lastStatus: number | null;
  lastError: string | null;
  deadAt: Date;
}

export interface WebhookDeadLetterPage {
  deadLetters: WebhookDeadLetter[];
  /** Pass as `after` for the next page; null on the last one. */
  next: number | null;
}

/** Webhook registrations and their dead letters (what the API needs; the dispatcher has WebhookQueue). */
export interface WebhookStore {
  /** Stores the webhook unless its user already has `maxPerUser`; then resolves undefined. */
  create(webhook: Omit<Webhook, 'createdAt'> & { secret: string }, maxPerUser: number): Promise<Webhook | undefined>;
  /** The user's webhooks, oldest first. */
  list(userId: string): Promise<Webhook[]>;
  find(webhookId: string): Promise<Webhook | undefined>;
  /** Deletes the webhook and every delivery it still had; false when there was none. */
  delete(webhookId: string): Promise<boolean>;
  /** Dead letters in the order they died, after position `after`. */
  deadLetters(webhookId: string, page: { limit: number; after: number }): Promise<WebhookDeadLetterPage>;
  /**
   * Queues dead letters again (all of the webhook's, or those of `deliveryIds`) for a new retry window, and wakes
   * the dispatchers. Returns the ids queued; ids that are not dead letters of this webhook are skipped.
   */
  replay(webhookId: string, deliveryIds?: readonly string[]): Promise<string[]>;
}
