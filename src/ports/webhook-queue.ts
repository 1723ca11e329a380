import type { WebhookEvent } from '../domain/webhooks.ts';

/** A delivery taken by a dispatcher for one attempt. */
export interface ClaimedDelivery {
  /** Sent as `webhook-id`: the same on every attempt. */
  deliveryId: string;
  webhookId: string;
  url: string;
  secret: string;
  event: WebhookEvent;
  /** This attempt's number, 1 for the first; it also fences the claim (a later claim has a higher one). */
  attempt: number;
  /** How long ago the first attempt began (0 on the first). */
  sinceFirstAttemptMs: number;
}

export interface AttemptOutcome {
  /** The receiver's HTTP status; null when there was no answer. */
  status: number | null;
  error: string | null;
}

export interface ClaimOptions {
  limit: number;
  /** A claimed delivery is due again after this long unless its outcome is recorded first. */
  leaseMs: number;
  /** At most this many deliveries of one webhook in flight, counting `inFlight`. */
  perEndpoint: number;
  /** Deliveries this dispatcher has in flight, per webhook id. */
  inFlight: ReadonlyMap<string, number>;
}

/** The deliveries owed to webhooks, as dispatchers see them: claim what is due, record how each attempt went. */
export interface WebhookQueue {
  /** Takes due deliveries (skipping those other dispatchers hold), oldest due first. */
  claim(options: ClaimOptions): Promise<ClaimedDelivery[]>;
  /** How soon the next delivery is due, leaving out the webhooks in `busy`; null when none is pending. */
  msUntilNextDue(busy: readonly string[]): Promise<number | null>;
  delivered(delivery: ClaimedDelivery, outcome: AttemptOutcome): Promise<void>;
  /** Records a failed attempt, with the next one in `retryInMs`, or dead-letters the delivery (null). */
  failed(delivery: ClaimedDelivery, outcome: AttemptOutcome, retryInMs: number | null): Promise<void>;
  /** Gives back a claim without an outcome (the dispatcher is stopping): the delivery is due again now. */
  release(delivery: ClaimedDelivery): Promise<void>;
  /** Calls `onQueued` when deliveries may have been queued (in any process). Resolves once listening. */
  listen(onQueued: () => void): Promise<() => Promise<void>>;
  /** Drops delivered and dead-lettered deliveries settled before `before`; returns how many. */
  prune(before: Date): Promise<number>;
}
