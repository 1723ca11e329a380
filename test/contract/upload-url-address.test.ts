import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient, type Session } from '../support/api-client.ts';
import { send } from '../support/file-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes, type TestMode } from '../support/test-modes.ts';

/** Files on the hub's disk in every mode: only then does the hub sign upload URLs itself (S3 signs its own). */
const DISK_STORAGE = { S3_ENDPOINT: '' };

/** What a client anywhere could put in a request to point the hub's upload URLs at a server of its choosing. */
const SPOOFED = { host: 'evil.example.test', 'x-forwarded-host': 'evil.example.test', 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' };

/** POST /v1/files/initiate with extra request headers; the upload_url it answers. */
async function uploadUrl(session: Session, headers: Record<string, string>): Promise<URL> {
  const response = await send('POST', new URL('/v1/files/initiate', session.client.baseUrl).toString(), {
    headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/json', ...headers },
    body: Buffer.from(JSON.stringify({ filename: 'a.bin', file_size: 100 })),
  });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return new URL(response.body.upload_url);
}

/** A hub on disk storage with `env`, and user1 signed in to it. */
async function hubWith(mode: TestMode, env: Record<string, string>): Promise<{ hub: HubProcess; alice: Session }> {
  const hub = await HubProcess.start({ mode, env: { ...DISK_STORAGE, ...env } });
  return { hub, alice: await new ApiClient(hub.url).login('user1') };
}

for (const mode of testModes) describe(`the address of the hub's upload URLs [${mode}]`, () => {
  describe('by default', () => {
    let hub: HubProcess;
    let alice: Session;

    before(async () => ({ hub, alice } = await hubWith(mode, {})));
    after(() => hub.stop());

    it("is the address the client's connection reached, whatever Host or X-Forwarded-* it sends", async () => {
      const url = await uploadUrl(alice, SPOOFED);
      assert.equal(url.origin, new URL(hub.url).origin);
      assert.match(url.pathname, /^\/uploads\//);
    });
  });

  describe('with PUBLIC_BASE_URL', () => {
    const base = 'https://files.example.test:8443/chat';
    let hub: HubProcess;
    let alice: Session;

    before(async () => ({ hub, alice } = await hubWith(mode, { PUBLIC_BASE_URL: `${base}/` })));
    after(() => hub.stop());

    it('hangs from PUBLIC_BASE_URL, path prefix included, whatever the request says', async () => {
      const url = await uploadUrl(alice, SPOOFED);
      assert.ok(url.toString().startsWith(`${base}/uploads/`), url.toString());
    });
  });

  describe('with TRUST_PROXY', () => {
    let hub: HubProcess;
    let alice: Session;

    before(async () => ({ hub, alice } = await hubWith(mode, { TRUST_PROXY: '127.0.0.1' })));
    after(() => hub.stop());

    it('takes the protocol and host a trusted proxy forwarded', async () => {
      const url = await uploadUrl(alice, { 'x-forwarded-for': '203.0.113.9', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'chat.example.test' });
      assert.equal(url.origin, 'https://chat.example.test');
    });
  });
});
