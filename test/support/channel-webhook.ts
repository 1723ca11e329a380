import { createHmac } from 'node:crypto';
import type { ApiClient, ApiResponse } from './api-client.ts';

/** Posts to a channel's inbound webhook as its provider would: the raw body signed with the channel's secret. */
export function postChannelWebhook(client: ApiClient, channel: string, body: unknown, secret: string | null): Promise<ApiResponse> {
  const rawBody = typeof body === 'string' ? body : JSON.stringify(body);
  const headers: Record<string, string> = {};
  if (secret !== null) headers['x-chat4all-signature'] = `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
  return client.request('POST', `/v1/channels/${channel}/webhook`, { rawBody, headers });
}
