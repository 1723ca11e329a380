export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  threshold: number;
  /** How long an open circuit lets nothing through. */
  cooldownMs: number;
  onOpen?: (cooldownMs: number) => void;
  now?: () => number;
}

/**
 * Stops hammering a channel that keeps failing: after `threshold` failures in a row the circuit is open for
 * `cooldownMs` and callers do not try the channel at all (they fail fast); then tries go through again, and a
 * single further failure opens it again (half-open) until one succeeds.
 */
export class CircuitBreaker {
  readonly #options: CircuitBreakerOptions;
  readonly #now: () => number;
  #failures = 0;
  #openUntil = 0;

  constructor(options: CircuitBreakerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get isOpen(): boolean {
    return this.#now() < this.#openUntil;
  }

  succeeded(): void {
    this.#failures = 0;
  }

  failed(): void {
    this.#failures++;
    if (this.#failures < this.#options.threshold || this.isOpen) return;
    this.#openUntil = this.#now() + this.#options.cooldownMs;
    this.#failures = this.#options.threshold - 1;
    this.#options.onOpen?.(this.#options.cooldownMs);
  }
}
