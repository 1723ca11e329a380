import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { ApiClient, waitFor } from '../support/api-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';

/** The rest of the suite runs hubs with the default, CHAT4ALL_TUNE_FOR=throughput; this one the memory option. */
const MEMORY_TUNING = { CHAT4ALL_TUNE_FOR: 'memory' };

const commandLine = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
const environment = (pid: number) => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');

for (const mode of testModes) {
  describe(`the memory tuning (CHAT4ALL_TUNE_FOR=memory) [${mode}]`, () => {
    let hub: HubProcess;
    before(async () => {
      hub = await HubProcess.start({ mode, env: MEMORY_TUNING });
    });
    after(() => hub.stop());

    it('runs npm start as the same process, restarted with its V8 flags', () => {
      const argv = commandLine(hub.pid!);
      assert.ok(argv.includes('--max-semi-space-size=1'), argv.join(' '));
      assert.ok(argv.includes('--heap-growing-percent=100'), argv.join(' '));
      assert.ok(argv.includes('--external-memory-accounted-in-global-limit'), argv.join(' '));
      assert.equal(argv.includes('--liftoff-only'), mode === 'embedded', argv.join(' '));
    });

    it('restarts with glibc limited to two arenas', () => {
      assert.ok(environment(hub.pid!).includes('MALLOC_ARENA_MAX=2'));
    });

    it('restarts reading its modules from the compile cache', () => {
      assert.ok(environment(hub.pid!).some((entry) => entry.startsWith('NODE_COMPILE_CACHE=')));
    });

    it('accepts and delivers a message', async () => {
      const client = new ApiClient(hub.url);
      const alice = await client.login('user1');
      const bob = await client.login('user2');
      const conversationId = await alice.createConversation('private', [alice.userId, bob.userId]);
      const body = alice.textMessage(conversationId);
      assert.equal((await alice.post('/v1/messages', body)).body.status, 'accepted');
      await waitFor(
        async () => (await alice.get(`/v1/messages/${String(body.message_id)}`)).body?.status === 'delivered',
        { what: 'the message delivered' },
      );
    });
  });
}
