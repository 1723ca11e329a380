import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ChannelSignatureError,
  DeliveryFailure,
  type ChannelConnector,
  type ChannelRecipient,
  type ChannelStatusReport,
  type SendReceipt,
  type StatusSink,
} from '../ports/channel-connector.ts';
import type { ChannelDispatchEvent } from '../domain/message-events.ts';
import { readSimulatedWebhook } from './simulated-webhook.ts';

/** Where a simulated provider's doings show: its later status events, and its hand-overs as the seed's log line. */
export interface ProviderSinks {
  /** Where the simulated provider sends its later status events, as a real one calls the hub's webhook. */
  report: StatusSink;
  /** Writes one line to the hub's output, synchronously (the seed's delivery line is the simulated send). */
  print: (line: string) => void;
}

/** The seed's line for a delivery, kept verbatim (Portuguese) so existing scripts still find it. */
export function deliveryLine(messageId: string, recipientId: string, displayName: string): string {
  return `INFO: Mensagem ${messageId} enviada para o usuário ${recipientId} no ${displayName}`;
}

/**
 * The simulated provider's text message with a verification code, in the delivery line's words and language: the
 * line is what the address's owner would read on their phone.
 */
export function verificationCodeLine(code: string, address: string, displayName: string): string {
  return `INFO: Código de verificação ${code} enviado para ${address} no ${displayName}`;
}

export interface SimulatedChannelOptions extends ProviderSinks {
  /** Probability in [0, 1] that a delivery fails. */
  failureRate: number;
  /** How long each delivery takes, as a provider's API call would. */
  latencyMs: number;
  /** When the recipient's device confirms delivery, after the hand-over; 0 = the send call already says so. */
  deliveredAfterMs: number;
  /** When the recipient reads it, after the hand-over; undefined = never (only the hub's own read receipts). */
  readAfterMs: number | undefined;
  /** The secret inbound webhooks are signed with; none = inbound webhooks off. */
  webhookSecret: string | undefined;
  /** How far an inbound webhook's signed timestamp may be from now. */
  webhookToleranceSeconds: number;
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
  const { failureRate, latencyMs, deliveredAfterMs, readAfterMs, report, print, webhookSecret, webhookToleranceSeconds, random = Math.random } = options;

  const later = (delayMs: number, status: ChannelStatusReport['status'], providerMessageId: string) => {
    const deliver = async (attempt: number): Promise<void> => {
      const unmatched = await report(name, [{ providerMessageId, status, at: new Date() }]).catch(() => [true]);
      const retryIn = REPORT_RETRIES_MS[attempt];
      if (unmatched.length > 0 && retryIn !== undefined) setTimeout(() => void deliver(attempt + 1), retryIn).unref();
    };
    setTimeout(() => void deliver(0), delayMs).unref();
  };

  /** A provider call: it takes its time, and fails as often as the simulation says. */
  const call = async (what: string) => {
    if (latencyMs > 0) await sleep(latencyMs);
    if (failureRate > 0 && random() < failureRate) throw new DeliveryFailure(`${displayName} rejected the ${what} (simulated failure)`);
  };

  // The hand-over is the line: written before the connector records it, as a real connector calls its provider
  // before recording the answer. A crash between the two sends it again (a second line), never loses it.
  const handOver = async (message: ChannelDispatchEvent, recipient: ChannelRecipient): Promise<SendReceipt> => {
    await call('message');
    print(deliveryLine(message.message_id, recipient.userId, displayName));
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
    async sendVerificationCode(recipient, code) {
      await call('verification code');
      print(verificationCodeLine(code, recipient.address, displayName));
    },
    handleWebhook(request) {
      if (webhookSecret === undefined) throw new ChannelSignatureError(`${displayName} inbound webhooks are not configured`);
      return readSimulatedWebhook(webhookSecret, webhookToleranceSeconds, request);
    },
  };
}
