import type { AttemptOutcome } from './webhook-queue.ts';

export interface WebhookRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface WebhookResult extends AttemptOutcome {
  /** A 2xx answer: delivered. */
  ok: boolean;
}

/** POSTs one delivery. Never throws: an error or a timeout is a result too. */
export interface WebhookSender {
  post(request: WebhookRequest, options: { timeoutMs: number; signal: AbortSignal }): Promise<WebhookResult>;
}
