import { Agent, fetch } from 'undici';
import type { WebhookDestinations } from '../../ports/webhook-destinations.ts';
import type { WebhookRequest, WebhookResult, WebhookSender } from '../../ports/webhook-sender.ts';
import { checkedConnector, DestinationRefused } from './checked-connector.ts';

const USER_AGENT = 'Chat4All-Webhooks/1';

/**
 * POSTs with undici's fetch, over connections that `destinations` allowed (see checked-connector.ts). Redirects are
 * not followed (a 3xx is a failure, as Standard Webhooks says: only a 2xx means received; following one would also
 * go where no check looked), and the answer's body is not read: its status says all.
 */
export class FetchWebhookSender implements WebhookSender {
  readonly #agent: Agent;

  constructor(destinations: WebhookDestinations) {
    this.#agent = new Agent({ connect: checkedConnector(destinations) });
  }

  async post(request: WebhookRequest, options: { timeoutMs: number; signal: AbortSignal }): Promise<WebhookResult> {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        headers: { ...request.headers, 'content-type': 'application/json', 'user-agent': USER_AGENT },
        body: request.body,
        redirect: 'manual',
        signal: AbortSignal.any([options.signal, timeout]),
        dispatcher: this.#agent,
      });
      await response.body?.cancel().catch(() => {});
      const ok = response.status >= 200 && response.status < 300;
      return { ok, status: response.status, error: ok ? null : `HTTP ${response.status}` };
    } catch (error) {
      if (timeout.aborted) return { ok: false, status: null, error: `no answer within ${options.timeoutMs} ms` };
      const cause = (error as { cause?: unknown }).cause;
      if (cause instanceof DestinationRefused) return { ok: false, status: null, error: `refused: ${cause.message}`, refused: true };
      return { ok: false, status: null, error: describe(error) };
    }
  }
}

/** fetch says "fetch failed"; the cause says why (ECONNREFUSED, a reset, a bad certificate). */
function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.message) return cause.code && !cause.message.includes(cause.code) ? `${cause.code}: ${cause.message}` : cause.message;
  return (error as Error).message ?? String(error);
}
