import type { Message, Payload, Priority } from '../../domain/message.ts';
import type { MessageStatus } from '../../domain/message-status.ts';

/** A row of the messages table as the drivers return it (or as to_jsonb renders it: timestamps as text). */
export interface MessageRow {
  id: string;
  conversation_id: string;
  seq: number | string;
  from_user_id: string;
  to_user_id: string | null;
  channels: string[];
  payload: Payload;
  priority: Priority;
  status: MessageStatus;
  reason?: string | null;
  request_hash: string;
  created_at: Date | string;
  updated_at: Date | string;
}

export const toMessage = (row: MessageRow): Message => ({
  messageId: row.id,
  conversationId: row.conversation_id,
  seq: Number(row.seq),
  from: row.from_user_id,
  to: row.to_user_id,
  channels: row.channels,
  payload: row.payload,
  priority: row.priority,
  status: row.status,
  createdAt: new Date(row.created_at),
  updatedAt: new Date(row.updated_at),
});
