import { createHmac } from 'node:crypto';
import { DomainError, ErrorCodes } from '../domain/errors.ts';
import type { IdempotencyScope, IdempotencyStore, StoredResponse } from '../ports/idempotency-store.ts';

/**
 * A request in flight longer than this is taken for dead with its process, and its key taken over: creations
 * answer in milliseconds, a new user's password hashing in seconds at worst.
 */
const ABANDONED_AFTER_MS = 60_000;
/** Expired keys each creation deletes on its way: the table never grows past what the TTL keeps. */
const EXPIRED_PER_WRITE = 100;
/** Looks at a key that keeps being let go between two of them, before answering that a request holds it. */
const CLAIM_ATTEMPTS = 3;

/**
 * Idempotency-Key (draft-ietf-httpapi-idempotency-key-header) for the requests that create something: the first
 * request with a key runs; its successful answer is kept for the TTL and given again to a retry with the same
 * body; another body under the key, or a retry while the first still runs, is a 409. A request that fails keeps
 * nothing: it created nothing, and the client may send it again, corrected, under the same key.
 */
export class IdempotentRequests {
  readonly #store: IdempotencyStore;
  readonly #ttlMs: number;
  readonly #fingerprintKey: string;

  /**
   * `fingerprintKey` keys the fingerprint: a bare hash of a body that holds a password (a new user's) would be a
   * guessable digest of it, kept for a day.
   */
  constructor(store: IdempotencyStore, options: { ttlMs: number; fingerprintKey: string }) {
    this.#store = store;
    this.#ttlMs = options.ttlMs;
    this.#fingerprintKey = options.fingerprintKey;
  }

  async run(scope: IdempotencyScope, request: unknown, create: () => Promise<StoredResponse>): Promise<StoredResponse & { replayed: boolean }> {
    const fingerprint = createHmac('sha256', this.#fingerprintKey).update(canonicalJson(request)).digest('hex');
    for (let attempt = 1; attempt <= CLAIM_ATTEMPTS; attempt++) {
      const claim = await this.#store.claim(scope, fingerprint, { ttlMs: this.#ttlMs, abandonedAfterMs: ABANDONED_AFTER_MS });
      if (claim === undefined) continue;
      if (claim.kind === 'claimed') return { ...(await this.#runClaimed(scope, claim.claimId, create)), replayed: false };
      if (claim.fingerprint !== fingerprint) {
        throw new DomainError(
          ErrorCodes.IDEMPOTENCY_CONFLICT,
          `Idempotency-Key ${JSON.stringify(scope.key)} was already used for a different request; use a new key`,
        );
      }
      if (claim.response) return { ...claim.response, replayed: true };
      break;
    }
    throw new DomainError(
      ErrorCodes.IDEMPOTENCY_REQUEST_IN_PROGRESS,
      `A request with Idempotency-Key ${JSON.stringify(scope.key)} is still being processed; retry in a moment for its answer`,
    );
  }

  async #runClaimed(scope: IdempotencyScope, claimId: string, create: () => Promise<StoredResponse>): Promise<StoredResponse> {
    let response: StoredResponse;
    try {
      response = await create();
    } catch (error) {
      // Should letting go fail too, the key frees itself once ABANDONED_AFTER_MS have passed.
      await this.#store.release(scope, claimId).catch(() => undefined);
      throw error;
    }
    await this.#store.complete(scope, claimId, response);
    await this.#store.deleteExpired(EXPIRED_PER_WRITE);
    return response;
  }
}

/** JSON with every object's keys sorted: two bodies that mean the same give the same text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, member]) => member !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([name, member]) => `${JSON.stringify(name)}:${canonicalJson(member)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
