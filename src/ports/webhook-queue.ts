import type { WebhookEvent } from '../domain/webhooks.ts';

/** A delivery taken by a dispatcher for one attempt. */
export interface ClaimedDelivery {
  /** Sent as `webhook-id`: the same on every attempt. */
  deliveryId: string;
  webhookId: string;
  /** The webhook's owner: dispatchers share their attempts out per user. */
  userId: string;
  url: string;
  /** The host and port the URL names: dispatchers share their attempts out per host too. */
  host: string;
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

/**
 * A dispatcher's attempts in flight, per user and per host, and how many it allows of each: a user or a host at its
 * share gets no more until one of its attempts ends, so slow endpoints hold a bounded part of the slots.
 */
export interface Load {
  perUser: number;
  perHost: number;
  users: ReadonlyMap<string, number>;
  hosts: ReadonlyMap<string, number>;
}

export interface ClaimOptions {
  limit: number;
  /** A claimed delivery is due again after this long unless its outcome is recorded first. */
  leaseMs: number;
  /** No user or host gets past its share, counting what is in flight already. */
  load: Load;
}

/** The deliveries owed to webhooks, as dispatchers see them: claim what is due, record how each attempt went. */
export interface WebhookQueue {
  /** Takes due deliveries (skipping those other dispatchers hold), oldest due first. */
  claim(options: ClaimOptions): Promise<ClaimedDelivery[]>;
  /** How soon the next delivery is due, leaving out users and hosts at their share; null when none is pending. */
  msUntilNextDue(load: Load): Promise<number | null>;
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
