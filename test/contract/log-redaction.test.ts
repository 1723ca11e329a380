import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient, waitFor, type Session } from '../support/api-client.ts';
import { EventSocket, refusedUpgrade } from '../support/event-socket.ts';
import { TestFile, Uploader } from '../support/file-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';

for (const mode of testModes) describe(`secrets in request URLs stay out of the logs [${mode}]`, () => {
  let hub: HubProcess;
  let alice: Session;

  before(async () => {
    // INFO: the level that logs each request. Files on disk: the hub then signs (and serves) upload URLs itself.
    hub = await HubProcess.start({ mode, env: { LOG_LEVEL: 'info', S3_ENDPOINT: '' } });
    alice = await new ApiClient(hub.url).login('user1');
  });
  after(() => hub.stop());

  /** The request log lines of `path`, once there is one. */
  const requestLines = (path: string) =>
    waitFor(async () => {
      const lines = hub.linesWith('"msg":"request"').filter((line) => line.includes(`"url":"${path}`));
      return lines.length > 0 && lines;
    }, { what: `the request line of ${path}` });

  it('logs a WebSocket upgrade refused for its query without the valid token in its URL', async () => {
    const refused = await refusedUpgrade(EventSocket.url(hub.url, { token: alice.token, last_event_id: -1 }));
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    const lines = await requestLines('/v1/ws');
    assert.match(lines[0]!, /token=\[REDACTED\]/);
    assert.ok(!hub.output.includes(alice.token), 'the token is nowhere in the output');
  });

  it("logs a chunk PUT to the hub's presigned URL without its signature", async () => {
    const file = new TestFile(`${mode}-log-redaction`, 100);
    const uploader = new Uploader(alice);
    const { body } = await uploader.initiate(file);
    const signature = new URL(body.upload_url).searchParams.get('signature');
    assert.ok(signature, body.upload_url);
    assert.equal((await uploader.put(body.upload_url, file.chunk(0))).status, 200);
    const lines = await requestLines('/uploads/');
    assert.match(lines[0]!, /signature=\[REDACTED\]/);
    assert.ok(!hub.output.includes(signature), 'the signature is nowhere in the output');
  });
});
