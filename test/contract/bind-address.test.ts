import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../support/api-client.ts';
import { HubProcess } from '../support/hub-process.ts';

/** Starts a hub and waits for its whole banner: "Running: …" comes after every role started. */
async function startHub(env: Record<string, string>): Promise<HubProcess> {
  const hub = await HubProcess.start({ env });
  await waitFor(async () => hub.output.includes('Running: '), { what: 'the end of the banner' });
  return hub;
}

/** The banner's addresses: the "listening on" line, then one "and on" line per further address. */
function bannerUrls(output: string): string[] {
  const first = /Chat4All API listening on (http:\/\/\S+)/.exec(output);
  assert.ok(first, output);
  return [first[1]!, ...[...output.matchAll(/^ {2}and on (http:\/\/\S+)$/gm)].map((match) => match[1]!)];
}

/**
 * Where the API listens, read from the banner, which prints the addresses the server is bound to. No request goes
 * to a non-loopback address of this machine: the banner says what is bound, which is enough.
 */
describe('bind address of npm start (chat4all start)', () => {
  describe('outside production, HOST unset', () => {
    let hub: HubProcess;

    before(async () => {
      // HubProcess sets HOST=127.0.0.1 for every test hub; an empty HOST counts as unset.
      hub = await startHub({ HOST: '' });
    });
    after(() => hub.stop());

    it('listens on 127.0.0.1 and on nothing else', () => {
      const urls = bannerUrls(hub.output);
      assert.equal(urls.length, 1, `one address: ${urls.join(', ')}`);
      assert.match(urls[0]!, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(hub.url, urls[0]);
    });
  });

  describe('HOST=0.0.0.0', () => {
    let hub: HubProcess;

    before(async () => {
      hub = await startHub({ HOST: '0.0.0.0' });
    });
    after(() => hub.stop());

    it('names localhost first, as before, for scripts that parse the first line', () => {
      assert.match(bannerUrls(hub.output)[0]!, /^http:\/\/localhost:\d+$/);
    });

    it('lists every external IPv4 address of this machine with the port', () => {
      const urls = bannerUrls(hub.output);
      const port = new URL(urls[0]!).port;
      const external = Object.values(networkInterfaces())
        .flat()
        .filter((info) => info && !info.internal && info.family === 'IPv4')
        .map((info) => `http://${info!.address}:${port}`);
      assert.deepEqual(urls.slice(1).sort(), external.sort());
    });
  });
});
