/** Whose key it is and for what: keys of different callers or operations never meet. */
export interface IdempotencyScope {
  /** `user:<id>` or `client:<id>`. */
  principal: string;
  /** Method and route, e.g. `POST /v1/conversations`. */
  operation: string;
  key: string;
}

/** The answer to a creation, kept so that its retries get it again. */
export interface StoredResponse {
  status: number;
  body: unknown;
}

/** What claiming a key found: it is the caller's to run, or an earlier request holds it (answered or not yet). */
export type Claim =
  | { kind: 'claimed'; claimId: string }
  | { kind: 'held'; fingerprint: string; response: StoredResponse | undefined };

export interface IdempotencyStore {
  /**
   * Takes the key for a request with this fingerprint, unless an earlier request holds it. An expired key, or one
   * whose request has not answered within `abandonedAfterMs` (its process died), is taken over. undefined: the
   * holder let the key go between two looks; claim again.
   */
  claim(scope: IdempotencyScope, fingerprint: string, times: { ttlMs: number; abandonedAfterMs: number }): Promise<Claim | undefined>;
  /** Keeps the answer of the request that holds the claim. */
  complete(scope: IdempotencyScope, claimId: string, response: StoredResponse): Promise<void>;
  /** Lets the key go: the request failed, created nothing, and may be sent again. */
  release(scope: IdempotencyScope, claimId: string): Promise<void>;
  /** Deletes up to `limit` expired keys; returns how many. */
  deleteExpired(limit: number): Promise<number>;
}
