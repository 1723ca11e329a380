import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { ApiClient, waitFor, type Session } from '../support/api-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';

const MESSAGES = 1_000;
const CONVERSATIONS = 10;
const CONCURRENCY = 50;
const DELIVERY_LINE = /^INFO: Mensagem (\S+) enviada para o usuário (\S+) no WhatsApp$/;

for (const mode of testModes) describe(`SIGKILL with accepted messages in flight [${mode}]`, () => {
  const hubs: HubProcess[] = [];
  after(async () => {
    for (const hub of hubs) await hub.kill('SIGKILL');
    if (hubs[0]) await HubProcess.removeState(hubs[0].dataDir, mode);
  });

  it('delivers every accepted message exactly once after a restart', async (t) => {
    // Accept everything with only the API running, so all 1,000 are in flight when the pipeline starts.
    const api = await HubProcess.start({ mode, args: ['api'] });
    hubs.push(api);
    const client = new ApiClient(api.url);
    const [alice, bob] = await Promise.all([client.login('user1'), client.login('user2')]);
    const conversations = await Promise.all(
      Array.from({ length: CONVERSATIONS }, () => alice.createConversation('private', [alice.userId, bob.userId])),
    );
    const ids = await sendAll(alice, conversations);
    await api.kill('SIGKILL');

    // Start every role, with a WhatsApp that takes 2 ms per delivery like a real provider's API call, and kill
    // it again once deliveries are under way.
    const interrupted = await HubProcess.start({ mode, dataDir: api.dataDir, env: { CHAT4ALL_MOCK_LATENCY_MS: 'whatsapp=2' } });
    hubs.push(interrupted);
    await waitFor(async () => interrupted.linesWith('INFO: Mensagem').length > 0, { intervalMs: 5, what: 'the first delivery' });
    await interrupted.kill('SIGKILL');
    t.diagnostic(`delivered before SIGKILL: ${deliveries(interrupted.output).length} of ${MESSAGES}`);

    const recovered = await HubProcess.start({ mode, dataDir: api.dataDir });
    hubs.push(recovered);
    const reader = await new ApiClient(recovered.url).login('user1');
    await waitFor(async () => (await statuses(reader, conversations)).every((status) => status === 'delivered'), {
      timeoutMs: 60_000,
      what: 'every message delivered after the restart',
    });

    // A line is printed right after its delivery commits, so it may reach us just after the status does.
    const lines = await waitFor(async () => {
      const found = deliveries(interrupted.output + recovered.output);
      return new Set(found.map(([id]) => id)).size === MESSAGES && found;
    }, { what: 'a delivery line for every message' });
    assert.equal(lines.length, MESSAGES, 'one delivery line per message and recipient');
    assert.deepEqual(new Set(lines.map(([id]) => id)), new Set(ids));
    assert.ok(lines.every(([, recipient]) => recipient === bob.userId));
    const sample = await reader.get(`/v1/messages/${ids[0]}`);
    assert.equal(sample.body.deliveries.length, 1);
    assert.equal(sample.body.status_history.filter((h: { status: string }) => h.status === 'delivered').length, 1);
  });
});

function deliveries(output: string): Array<[string, string]> {
  return output.split('\n').flatMap((line) => {
    const match = DELIVERY_LINE.exec(line);
    return match ? [[match[1]!, match[2]!] as [string, string]] : [];
  });
}

/** Sends MESSAGES text messages over CONCURRENCY connections; returns the accepted ids. */
async function sendAll(sender: Session, conversations: string[]): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < MESSAGES) {
        const index = next++;
        const body = sender.textMessage(conversations[index % CONVERSATIONS]!, { payload: { type: 'text', text: `m${index}` } });
        const response = await sender.post('/v1/messages', body);
        assert.equal(response.status, 200);
        ids.push(body.message_id as string);
      }
    }),
  );
  return ids;
}

async function statuses(reader: Session, conversations: string[]): Promise<string[]> {
  const pages = await Promise.all(conversations.map((id) => reader.get(`/v1/conversations/${id}/messages?limit=100`)));
  return pages.flatMap((page) => page.body.messages.map((message: { status: string }) => message.status));
}
