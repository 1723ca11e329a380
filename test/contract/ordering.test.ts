import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient, waitFor, type Session } from '../support/api-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';

const COUNT = 1_000;
const IN_FLIGHT = 50;
const LINE = /^INFO: Mensagem (\S+) enviada para o usuário \S+ no (WhatsApp|Instagram)$/gm;

for (const mode of testModes) describe(`order in one conversation [${mode}]`, () => {
  let hub: HubProcess;
  let alice: Session;
  let bob: Session;

  before(async () => {
    hub = await HubProcess.start({ mode, env: { LOG_LEVEL: 'warn' } });
    const client = new ApiClient(hub.url);
    [alice, bob] = await Promise.all([client.login('user1'), client.login('user2')]);
  });
  after(() => hub.stop());

  it(`gives ${COUNT} concurrent sends seq 1..${COUNT} without gap or repeat, and each channel delivers them in seq order`, async () => {
    const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
    const seqOf = new Map<string, number>();
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < COUNT) {
          next++;
          const body = alice.textMessage(conversation, { channels: ['all'] });
          const response = await alice.post('/v1/messages', body);
          assert.equal(response.status, 200);
          seqOf.set(body.message_id as string, response.body.seq);
        }
      }),
    );
    const seqs = [...seqOf.values()].sort((a, b) => a - b);
    assert.deepEqual(seqs, Array.from({ length: COUNT }, (_, i) => i + 1));

    const lines = await waitFor(async () => {
      const found = [...hub.output.matchAll(LINE)].filter((match) => seqOf.has(match[1]!));
      return found.length === COUNT * 2 && found;
    }, { timeoutMs: 60_000, what: 'a line per message and channel' });
    for (const channel of ['WhatsApp', 'Instagram']) {
      const order = lines.filter((match) => match[2] === channel).map((match) => seqOf.get(match[1]!)!);
      assert.deepEqual(order, seqs, `${channel} delivered in seq order`);
    }
  });
});
