import { isUuid } from './ids.ts';
import type { Payload, Priority } from './message.ts';

/** Published on `message_processing` for every accepted message (written to the outbox with it). */
export interface MessageAcceptedEvent {
  message_id: string;
  conversation_id: string;
  seq: number;
  from: string;
  to: string | null;
  channels: string[];
  payload: Payload;
  priority: Priority;
  created_at: string;
}

/** Published on `<channel>_outgoing` by the router: one record per message and channel. */
export interface ChannelDispatchEvent {
  message_id: string;
  conversation_id: string;
  seq: number;
  from: string;
  channel: string;
  recipients: string[];
  payload: Payload;
  priority: Priority;
}

/**
 * Whether a `message_processing` record's value can be one: it names a message (the router takes the rest from the
 * database). A record that is not is set aside, not retried.
 */
export function isMessageAcceptedEvent(value: unknown): value is MessageAcceptedEvent {
  const event = value as Partial<MessageAcceptedEvent> | null;
  return typeof event === 'object' && event !== null && !Array.isArray(event) && isUuid(event.message_id);
}

/** Whether a `<channel>_outgoing` record's value can be a dispatch: what a connector reads before it sends. */
export function isChannelDispatchEvent(value: unknown): value is ChannelDispatchEvent {
  const event = value as Partial<ChannelDispatchEvent> | null;
  const payload = event?.payload as { type?: unknown } | null | undefined;
  return (
    typeof event === 'object' && event !== null && !Array.isArray(event) &&
    isUuid(event.message_id) && isUuid(event.conversation_id) &&
    typeof payload === 'object' && payload !== null && typeof payload.type === 'string'
  );
}
