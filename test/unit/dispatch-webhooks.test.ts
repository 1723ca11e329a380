import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebhookDispatcher } from '../../src/app/dispatch-webhooks.ts';
import type { Logger } from '../../src/ports/logger.ts';
import type { AttemptOutcome, ClaimedDelivery, WebhookQueue } from '../../src/ports/webhook-queue.ts';
import type { WebhookRequest, WebhookSender } from '../../src/ports/webhook-sender.ts';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

const delivery = (deliveryId: string, occurredAt: Date): ClaimedDelivery => ({
  deliveryId,
  webhookId: '9a0c8f43-95a5-4c43-9d59-0f3c1c3f0b6e',
  userId: '5d8f3c1e-6f0a-4a51-9a8e-2c1f7f3b9d10',
  url: 'http://127.0.0.1:1/hook',
  host: '127.0.0.1:1',
  secret: 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0',
  event: { eventId: 1, type: 'message.created', occurredAt, data: {} },
  attempt: 1,
  sinceFirstAttemptMs: 0,
});

describe('WebhookDispatcher', () => {
  it('dead-letters at once a delivery whose row no request can carry, and sends the others', async () => {
    const due = [delivery('bad', new Date(Number.NaN)), delivery('good', new Date())];
    const outcomes: Array<{ id: string; outcome: AttemptOutcome; retryInMs?: number | null }> = [];
    const queue: WebhookQueue = {
      claim: async () => due.splice(0),
      msUntilNextDue: async () => null,
      delivered: async (d, outcome) => void outcomes.push({ id: d.deliveryId, outcome }),
      failed: async (d, outcome, retryInMs) => void outcomes.push({ id: d.deliveryId, outcome, retryInMs }),
      release: async () => {},
      listen: async () => async () => {},
      prune: async () => 0,
    };
    const sent: WebhookRequest[] = [];
    const sender: WebhookSender = { post: async (request) => (sent.push(request), { ok: true, status: 204, error: null }) };
    const retry = { baseDelayMs: 10, maxDelayMs: 100, windowMs: 1_000 };
    const dispatcher = new WebhookDispatcher(queue, sender, { concurrency: 4, perUser: 4, perHost: 4, attemptTimeoutMs: 1_000, retry }, silent);
    await dispatcher.start();
    const deadline = Date.now() + 5_000;
    while (outcomes.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await dispatcher.stop();
    const byId = new Map(outcomes.map((o) => [o.id, o]));
    assert.equal(byId.get('bad')?.retryInMs, null, 'dead-lettered, not retried');
    assert.match(byId.get('bad')?.outcome.error ?? '', /^cannot be sent: /);
    assert.equal(byId.get('good')?.outcome.status, 204, 'the other delivery went out');
    assert.equal(sent.length, 1);
  });
});
