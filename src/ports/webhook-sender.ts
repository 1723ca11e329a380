import type { AttemptOutcome } from './webhook-queue.ts';

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface WebhookResult extends AttemptOutcome {
  /** A 2xx answer: delivered. */
  ok: boolean;
  /**
   * Not sent: the URL's host is (or resolves to) a non-public address. Dead-lettered at once rather than retried for
   * a whole window; its owner fixes the URL or the DNS, then replays it.
   */
  refused?: boolean;
}

/** POSTs one delivery. Never throws: an error or a timeout is a result too. */
export interface WebhookSender {
  post(request: WebhookRequest, options: { timeoutMs: number; signal: AbortSignal }): Promise<WebhookResult>;
}
