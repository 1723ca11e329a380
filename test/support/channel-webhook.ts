import { createHmac } from 'node:crypto';
import type { ApiClient, ApiResponse } from './api-client.ts';

export interface SigningTimes {
  /** The X-Chat4All-Timestamp sent (Unix seconds); null leaves the header out. Default: now. */
  sent?: string | null;
  /** The timestamp the signature covers, when a test makes it differ from the one sent. */
  signed?: string;
}

export const unixSeconds = (msAgo = 0): string => String(Math.floor((Date.now() - msAgo) / 1000));

/** Posts to a channel's inbound webhook as its provider would: the timestamp and raw body signed with the channel's secret. */
export function postChannelWebhook(
  client: ApiClient,
  channel: string,
  body: unknown,
  secret: string | null,
  times: SigningTimes = {},
): Promise<ApiResponse> {
  const rawBody = typeof body === 'string' ? body : JSON.stringify(body);
  const sent = times.sent === undefined ? unixSeconds() : times.sent;
  const signed = times.signed ?? sent ?? '';
  const headers: Record<string, string> = {};
  if (sent !== null) headers['x-chat4all-timestamp'] = sent;
  if (secret !== null) headers['x-chat4all-signature'] = `sha256=${createHmac('sha256', secret).update(`${signed}.${rawBody}`).digest('hex')}`;
  return client.request('POST', `/v1/channels/${channel}/webhook`, { rawBody, headers });
}
