import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ChannelSignatureError,
  DeliveryFailure,
  type ChannelConnector,
  type ChannelStatusReport,
  type SendReceipt,
  type StatusSink,
} from '../ports/channel-connector.ts';
import { readSimulatedWebhook } from './simulated-webhook.ts';

export interface SimulatedChannelOptions {
  /** Probability in [0, 1] that a delivery fails. */
  failureRate: number;
  /** How long each delivery takes, as a provider's API call would. */
  latencyMs: number;
  /** When the recipient's device confirms delivery, after the hand-over; 0 = the send call already says so. */
  deliveredAfterMs: number;
  /** When the recipient reads it, after the hand-over; undefined = never (only the hub's own read receipts). */
  readAfterMs: number | undefined;
  /** Where the simulated provider sends its later status events, as a real one calls the hub's webhook. */
  report: StatusSink;
  /** The secret inbound webhooks are signed with; none = inbound webhooks off. */
  webhookSecret: string | undefined;
  random?: () => number;
}

/** A provider retries a status webhook the hub could not match yet, as real providers do, for about a minute. */
const REPORT_RETRIES_MS = [50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 30_000];

/**
 * A channel that talks to no provider: it takes `latencyMs` per delivery, fails some on purpose, reports
 * delivery and read events after the configured delays, and reads signed inbound webhooks (simulated-webhook.ts). Its timers live in this process: a report still
 * waiting when the process stops is lost, as a real provider's would not be.
 */
export function simulatedChannel(name: string, displayName: string, options: SimulatedChannelOptions): ChannelConnector {
  const { failureRate, latencyMs, deliveredAfterMs, readAfterMs, report, webhookSecret, random = Math.random } = options;

  const later = (delayMs: number, status: ChannelStatusReport['status'], providerMessageId: string) => {
    const deliver = async (attempt: number): Promise<void> => {
      const unmatched = await report(name, [{ providerMessageId, status, at: new Date() }]).catch(() => [true]);
      const retryIn = REPORT_RETRIES_MS[attempt];
      if (unmatched.length > 0 && retryIn !== undefined) setTimeout(() => void deliver(attempt + 1), retryIn).unref();
    };
    setTimeout(() => void deliver(0), delayMs).unref();
  };

  const handOver = async (): Promise<SendReceipt> => {
    if (latencyMs > 0) await sleep(latencyMs);
    if (failureRate > 0 && random() < failureRate) {
      throw new DeliveryFailure(`${displayName} rejected the message (simulated failure)`);
    }
    const providerMessageId = `${name}-${randomUUID()}`;
    if (deliveredAfterMs > 0) later(deliveredAfterMs, 'delivered', providerMessageId);
    if (readAfterMs !== undefined) later(readAfterMs, 'read', providerMessageId);
    return { providerMessageId, status: deliveredAfterMs > 0 ? 'sent' : 'delivered' };
  };

  return {
    name,
    displayName,
    acceptsWebhooks: webhookSecret !== undefined,
    send: handOver,
    sendFile: handOver,
    handleWebhook(request) {
      if (webhookSecret === undefined) throw new ChannelSignatureError(`${displayName} inbound webhooks are not configured`);
      return readSimulatedWebhook(webhookSecret, request);
    },
  };
}
