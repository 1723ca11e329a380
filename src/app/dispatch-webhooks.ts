import { afterFailure, type RetryPolicy } from '../domain/webhook-retry.ts';
import { webhookPayload } from '../domain/webhooks.ts';
import type { Logger } from '../ports/logger.ts';
import type { ClaimedDelivery, Load, WebhookQueue } from '../ports/webhook-queue.ts';
import type { WebhookRequest, WebhookSender } from '../ports/webhook-sender.ts';
import { webhookHeaders } from './webhook-signature.ts';

export interface DispatchSettings {
  /** Attempts in flight at once, in this process. */
  concurrency: number;
  /**
   * Attempts in flight at once for one user's webhooks, and to one host: a user's slow endpoints, or a slow server
   * that many webhooks name, cannot take every slot. A user's share is the larger, so one slow host of theirs leaves
   * room for their other endpoints.
   */
  perUser: number;
  perHost: number;
  attemptTimeoutMs: number;
  retry: RetryPolicy;
}

/** A claim outlives its attempt by this much before the delivery is due again (the dispatcher died mid-attempt). */
const LEASE_MARGIN_MS = 30_000;
/** Even without a notification, look for due work this often (covers a notification lost to a reconnect). */
const IDLE_POLL_MS = 1_000;
/** The shortest pause when due work was there but could not be taken (held by another dispatcher). */
const CONTENDED_PAUSE_MS = 25;

/**
 * The webhook dispatcher: takes due deliveries from the queue, POSTs each signed to its endpoint with a timeout,
 * and records the outcome: delivered on a 2xx, otherwise retried with backoff until the window closes, then
 * dead-lettered. Attempts run concurrently (bounded, and bounded per user and per host); nothing here is on the path
 * of message delivery, which only queues deliveries.
 */
export class WebhookDispatcher {
  readonly #queue: WebhookQueue;
  readonly #sender: WebhookSender;
  readonly #settings: DispatchSettings;
  readonly #log: Logger;
  readonly #random: () => number;
  readonly #stopping = new AbortController();
  readonly #inFlight = new Map<string, { userId: string; host: string; done: Promise<void> }>();
  #kicked = false;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #unlisten: (() => Promise<void>) | undefined;

  constructor(queue: WebhookQueue, sender: WebhookSender, settings: DispatchSettings, log: Logger, random = Math.random) {
    this.#queue = queue;
    this.#sender = sender;
    this.#settings = settings;
    this.#log = log;
    this.#random = random;
  }

  async start(): Promise<void> {
    this.#unlisten = await this.#queue.listen(() => this.#kick());
    this.#loop = this.#run();
  }

  /** Stops claiming, aborts the attempts in flight and gives their deliveries back (due again at once). */
  async stop(): Promise<void> {
    this.#stopping.abort();
    this.#kick();
    await this.#loop;
    await Promise.all([...this.#inFlight.values()].map((attempt) => attempt.done));
    await this.#unlisten?.();
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#stopping.signal.aborted) {
      const free = this.#settings.concurrency - this.#inFlight.size;
      let claimed: ClaimedDelivery[] = [];
      if (free > 0) {
        try {
          claimed = await this.#queue.claim({ limit: free, leaseMs: this.#settings.attemptTimeoutMs + LEASE_MARGIN_MS, load: this.#load() });
          failures = 0;
        } catch (error) {
          failures++;
          this.#log.warn({ error: (error as Error).message }, 'could not claim webhook deliveries; retrying');
          await this.#idle(Math.min(100 * 2 ** failures, 5_000));
          continue;
        }
        for (const delivery of claimed) this.#attempt(delivery);
        if (claimed.length === free) continue;
      }
      await this.#idle(free > 0 ? await this.#untilNextDue(claimed.length > 0) : IDLE_POLL_MS);
    }
  }

  #load(): Load {
    const users = new Map<string, number>();
    const hosts = new Map<string, number>();
    for (const { userId, host } of this.#inFlight.values()) {
      users.set(userId, (users.get(userId) ?? 0) + 1);
      hosts.set(host, (hosts.get(host) ?? 0) + 1);
    }
    return { perUser: this.#settings.perUser, perHost: this.#settings.perHost, users, hosts };
  }

  async #untilNextDue(tookSome: boolean): Promise<number> {
    const ms = await this.#queue.msUntilNextDue(this.#load()).catch(() => IDLE_POLL_MS);
    return Math.min(Math.max(ms ?? IDLE_POLL_MS, tookSome ? 0 : CONTENDED_PAUSE_MS), IDLE_POLL_MS);
  }

  #attempt(delivery: ClaimedDelivery): void {
    const done = this.#deliver(delivery)
      .catch((error: unknown) => {
        // The outcome could not be recorded (database away): the lease runs out and the delivery is tried again.
        this.#log.error({ err: error, delivery_id: delivery.deliveryId }, 'could not record a webhook attempt');
      })
      .finally(() => {
        this.#inFlight.delete(delivery.deliveryId);
        this.#kick();
      });
    this.#inFlight.set(delivery.deliveryId, { userId: delivery.userId, host: delivery.host, done });
  }

  async #deliver(delivery: ClaimedDelivery): Promise<void> {
    const context = { webhook_id: delivery.webhookId, delivery_id: delivery.deliveryId, attempt: delivery.attempt };
    let request: WebhookRequest;
    try {
      const body = JSON.stringify(webhookPayload(delivery.event));
      request = { url: delivery.url, headers: webhookHeaders(delivery.secret, delivery.deliveryId, Math.floor(Date.now() / 1000), body), body };
    } catch (error) {
      // The row holds what no request can carry (say, an occurred_at JavaScript cannot represent): no later attempt
      // would do better, and retrying it every lease would never end. Dead-lettered at once, with why.
      const reason = `cannot be sent: ${error instanceof Error ? error.message : String(error)}`;
      this.#log.error({ ...context, error: reason }, 'webhook delivery dead-lettered: it cannot be sent');
      return this.#queue.failed(delivery, { status: null, error: reason }, null);
    }
    const started = performance.now();
    const result = await this.#sender.post(request, { timeoutMs: this.#settings.attemptTimeoutMs, signal: this.#stopping.signal });
    if (result.ok) return this.#queue.delivered(delivery, result);
    if (this.#stopping.signal.aborted) return this.#queue.release(delivery);
    if (result.refused) {
      this.#log.warn({ ...context, error: result.error }, 'webhook delivery dead-lettered: its destination is refused');
      return this.#queue.failed(delivery, result, null);
    }
    const sinceFirst = delivery.sinceFirstAttemptMs + (performance.now() - started);
    const decision = afterFailure(this.#settings.retry, delivery.attempt, sinceFirst, this.#random);
    if ('deadLetter' in decision) {
      this.#log.warn({ ...context, error: result.error }, 'webhook delivery dead-lettered after its retry window');
      return this.#queue.failed(delivery, result, null);
    }
    this.#log.info({ ...context, error: result.error, retry_in_ms: decision.retryInMs }, 'webhook attempt failed');
    return this.#queue.failed(delivery, result, decision.retryInMs);
  }

  #kick(): void {
    this.#kicked = true;
    this.#wake?.();
  }

  /** Waits `ms`, or less if kicked meanwhile; a kick since the last wait is not lost. */
  #idle(ms: number): Promise<void> {
    if (this.#kicked || this.#stopping.signal.aborted) {
      this.#kicked = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        this.#kicked = false;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }
}
