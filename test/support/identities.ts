import assert from 'node:assert/strict';
import { waitFor, type ApiResponse, type Session } from './api-client.ts';
import type { HubChild } from './hub-child.ts';

/** How the simulated channels name themselves in the lines they print. */
const DISPLAY_NAMES: Record<string, string> = { whatsapp: 'WhatsApp', instagram: 'Instagram', telegram: 'Telegram' };

const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Waits for the code a channel's connector printed for `address` after `since` (a length of `output.output` taken
 * before the claim), as the address's owner would read it on their phone, and returns it.
 */
export async function codeSentTo(output: HubChild, since: number, channel: string, address: string): Promise<string> {
  const line = new RegExp(`INFO: Código de verificação (\\d+) enviado para ${escaped(address)} no ${DISPLAY_NAMES[channel]}$`, 'm');
  return waitFor(async () => line.exec(output.output.slice(since))?.[1], { what: `the ${channel} verification code for ${address}` });
}

/** Claims an address (202) and returns the answer with the code the connector printed for it. */
export async function claimIdentity(session: Session, connector: HubChild, channel: string, address: string): Promise<{ claimed: ApiResponse; code: string }> {
  const since = connector.output.length;
  const claimed = await session.post('/v1/users/me/identities', { channel, address });
  assert.equal(claimed.status, 202, JSON.stringify(claimed.body));
  return { claimed, code: await codeSentTo(connector, since, channel, address) };
}

/**
 * Links an address the way a user does: claims it, reads the code the channel's connector printed (in `connector`'s
 * output: the hub's, or a connector process's) and verifies it. Resolves with the verified identity.
 */
export async function linkVerified(session: Session, connector: HubChild, channel: string, address: string): Promise<Record<string, unknown>> {
  const { code } = await claimIdentity(session, connector, channel, address);
  const verified = await session.post(`/v1/users/me/identities/${channel}/verify`, { code });
  assert.equal(verified.status, 200, JSON.stringify(verified.body));
  assert.equal(verified.body.status, 'verified');
  return verified.body;
}
