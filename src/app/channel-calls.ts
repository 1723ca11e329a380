import { setTimeout as sleep } from 'node:timers/promises';
import { backoffDelay } from '../domain/backoff.ts';
import { DeliveryFailure } from '../ports/channel-connector.ts';
import type { CircuitBreaker } from './circuit-breaker.ts';

export interface RetryPolicy {
  /** Tries per call, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

/** How a connector calls its channel: how it retries, and the circuit breaker it shares with every call of its. */
export interface ChannelCalls {
  retry: RetryPolicy;
  breaker: CircuitBreaker;
  displayName: string;
}

/** What a call to the channel came to: its answer, or why it failed and whether every retry was spent on it. */
export type CallOutcome<T> = { ok: true; value: T } | { ok: false; reason: string; attempts: number; exhausted: boolean };

/**
 * Calls the channel, retrying transient failures with backoff; while the circuit is open an attempt fails at once
 * without calling it. A permanent failure (DeliveryFailure.permanent) is not retried. A plug-in that throws
 * anything else is treated like a channel failing: retried, then failed.
 */
export async function callChannel<T>(call: () => Promise<T>, { retry, breaker, displayName }: ChannelCalls): Promise<CallOutcome<T>> {
  for (let attempt = 1; ; attempt++) {
    let failure: DeliveryFailure;
    if (breaker.isOpen) {
      failure = new DeliveryFailure(`${displayName} keeps failing: circuit open, not tried`);
    } else {
      try {
        const value = await call();
        breaker.succeeded();
        return { ok: true, value };
      } catch (error) {
        failure = error instanceof DeliveryFailure ? error : new DeliveryFailure(`${displayName} connector error: ${String(error)}`);
        if (!failure.permanent) breaker.failed();
      }
    }
    const exhausted = !failure.permanent && attempt >= retry.maxAttempts;
    if (failure.permanent || exhausted) {
      const reason = attempt > 1 ? `${failure.message} (after ${attempt} attempts)` : failure.message;
      return { ok: false, reason, attempts: attempt, exhausted };
    }
    await sleep(backoffDelay(attempt, retry.baseDelayMs, retry.maxDelayMs));
  }
}
