import { createHash } from 'node:crypto';
import type { DeliveryStatus, MessageStatus } from './message-status.ts';

export const Priorities = ['normal', 'high', 'low'] as const;
export type Priority = (typeof Priorities)[number];
export const DEFAULT_PRIORITY: Priority = 'normal';

export const MAX_TEXT_LENGTH = 4096;

/** A file payload names the upload; the hub adds its name, size and type when it accepts the message. */
export type Payload =
  | { type: 'text'; text: string }
  | { type: 'file'; file_id: string; filename?: string; file_size?: number; content_type?: string };

/** What a client asks to send, after validation and defaults. */
export interface SendCommand {
  messageId: string;
  conversationId: string;
  from: string;
  to: string | null;
  channels: string[];
  payload: Payload;
  priority: Priority;
}

export interface Message {
  messageId: string;
  conversationId: string;
  seq: number;
  from: string;
  to: string | null;
  channels: string[];
  payload: Payload;
  priority: Priority;
  status: MessageStatus;
  createdAt: Date;
  updatedAt: Date;
}

export interface StatusChange {
  status: MessageStatus;
  reason: string | null;
  at: Date;
}

/** One step of a delivery: when the channel says it happened (if it says) and when the hub recorded it. */
export interface DeliveryStep {
  status: DeliveryStatus;
  reason: string | null;
  channelAt: Date | null;
  recordedAt: Date;
}

export interface Delivery {
  channel: string;
  recipientId: string;
  status: DeliveryStatus;
  reason: string | null;
  providerMessageId: string | null;
  updatedAt: Date;
  history: DeliveryStep[];
}

export interface MessageDetail extends Message {
  history: StatusChange[];
  deliveries: Delivery[];
}

/**
 * Identifies a send request by content, so a retry with the same message_id can be told apart
 * from a different message reusing the id. Channel order and repeats do not change the meaning.
 */
export function fingerprint(command: SendCommand): string {
  const canonical = JSON.stringify([
    command.conversationId,
    command.from,
    command.to,
    [...new Set(command.channels)].sort(),
    command.payload.type,
    command.payload.type === 'text' ? command.payload.text : command.payload.file_id,
    command.priority,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}
