import { randomUUID } from 'node:crypto';
import { DomainError, ErrorCodes, validationError } from '../domain/errors.ts';
import type { HubEventType } from '../domain/hub-events.ts';
import { MAX_WEBHOOKS_PER_USER, webhookUrlProblem } from '../domain/webhooks.ts';
import type { WebhookDeadLetterPage, Webhook, WebhookStore } from '../ports/webhook-store.ts';
import type { WebhookDestinationPolicy } from './webhook-destination-policy.ts';
import { generateWebhookSecret } from './webhook-signature.ts';

/**
 * Client apps register endpoints that receive their user's feed events. A webhook is its owner's alone: to anyone
 * else it does not exist (404, never 403, so ids cannot be probed).
 */
export class Webhooks {
  readonly #store: WebhookStore;
  readonly #destinations: WebhookDestinationPolicy;

  constructor(store: WebhookStore, destinations: WebhookDestinationPolicy) {
    this.#store = store;
    this.#destinations = destinations;
  }

  /** The secret is returned here only: the owner keeps it to verify signatures. */
  async register(callerId: string, request: { url: string; events: HubEventType[] }): Promise<{ webhook: Webhook; secret: string }> {
    const problem = webhookUrlProblem(request.url) ?? (await this.#destinations.refusal(request.url));
    if (problem) throw validationError('url', problem);
    const secret = generateWebhookSecret();
    const webhook = await this.#store.create(
      { webhookId: randomUUID(), userId: callerId, url: request.url, events: [...new Set(request.events)], secret },
      MAX_WEBHOOKS_PER_USER,
    );
    if (!webhook) {
      throw new DomainError(
        ErrorCodes.WEBHOOK_LIMIT_REACHED,
        `A user can have at most ${MAX_WEBHOOKS_PER_USER} webhooks; delete one first`,
      );
    }
    return { webhook, secret };
  }

  list(callerId: string): Promise<Webhook[]> {
    return this.#store.list(callerId);
  }

  async get(callerId: string, webhookId: string): Promise<Webhook> {
    const webhook = await this.#store.find(webhookId);
    if (!webhook || webhook.userId !== callerId) throw new DomainError(ErrorCodes.WEBHOOK_NOT_FOUND, 'Webhook not found');
    return webhook;
  }

  /** Deliveries still owed to it are dropped with it. */
  async delete(callerId: string, webhookId: string): Promise<void> {
    await this.get(callerId, webhookId);
    await this.#store.delete(webhookId);
  }

  async deadLetters(callerId: string, webhookId: string, page: { limit: number; after: number }): Promise<WebhookDeadLetterPage> {
    await this.get(callerId, webhookId);
    return this.#store.deadLetters(webhookId, page);
  }

  /** Queues the webhook's dead letters (all, or those named) again; returns the ids queued. */
  async replay(callerId: string, webhookId: string, deliveryIds?: string[]): Promise<string[]> {
    await this.get(callerId, webhookId);
    return this.#store.replay(webhookId, deliveryIds && [...new Set(deliveryIds)]);
  }
}
