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
