import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiClient, waitFor, type Session } from '../support/api-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { RoleProcess } from '../support/role-process.ts';
import { testModes } from '../support/test-modes.ts';

/** Messages sent before the kills can happen, and after them: the stream runs until both are done. */
const BEFORE_KILL = 100;
const AFTER_KILL = 300;
/** A bound on the stream in case the kills never happen (the wait for them fails the test first). */
const MAX_MESSAGES = 20_000;
const CONVERSATIONS = 20;
const CONCURRENCY = 4;
const CHANNELS = { whatsapp: 'WhatsApp', instagram: 'Instagram' } as const;
type Channel = keyof typeof CHANNELS;
const DELIVERY_LINE = /^INFO: Mensagem (\S+) enviada para o usuário (\S+) no (WhatsApp|Instagram)$/;
/** A crash makes a connector send again at most this many hand-overs it had made and not recorded (README, "Logs"). */
const REPEATS_PER_CONNECTOR_AND_CRASH = 16;
/** Kafka hands a SIGKILLed member's partitions to the survivors only after the session timeout (10 s). */
const REBALANCE_MS = 60_000;

interface Delivery {
  messageId: string;
  recipientId: string;
  channel: string;
}

const distributed = testModes.includes('distributed');
const skip = distributed
  ? false
  : 'distributed mode is off (CHAT4ALL_TEST_MODES has no "distributed": no PostgreSQL/Kafka here); scale-out needs Kafka';

describe('scale-out: two routers and two connectors per channel [distributed]', { skip }, () => {
  let dataDir: string;
  let api: HubProcess | undefined;
  let relay: RoleProcess;
  const routers: RoleProcess[] = [];
  const connectors: Record<Channel, RoleProcess[]> = { whatsapp: [], instagram: [] };
  const all = () => [relay, ...routers, ...connectors.whatsapp, ...connectors.instagram].filter(Boolean);

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'chat4all-scale-'));
    // The API first: it creates the database and runs the migrations the others then find done.
    // One sender streams thousands of messages, past the per-user send limit: that limit is not what is tested here.
    api = await HubProcess.start({ mode: 'distributed', dataDir, args: ['api'], env: { CHAT4ALL_RATE_LIMIT_SENDS: 'off' } });
    const latency = { CHAT4ALL_MOCK_LATENCY_MS: 'whatsapp=2,instagram=2' };
    const started = await Promise.all([
      RoleProcess.start({ mode: 'distributed', dataDir, args: ['relay'] }),
      RoleProcess.start({ mode: 'distributed', dataDir, args: ['router'] }),
      RoleProcess.start({ mode: 'distributed', dataDir, args: ['router'] }),
      ...(['whatsapp', 'whatsapp', 'instagram', 'instagram'] as const).map((channel) =>
        RoleProcess.start({ mode: 'distributed', dataDir, args: ['connector', channel], env: latency }),
      ),
    ]);
    relay = started[0]!;
    routers.push(started[1]!, started[2]!);
    connectors.whatsapp.push(started[3]!, started[4]!);
    connectors.instagram.push(started[5]!, started[6]!);
  });

  after(async () => {
    await Promise.all([...all().map((role) => role.kill('SIGTERM')), api?.kill('SIGTERM')]);
    if (dataDir) await HubProcess.removeState(dataDir, 'distributed');
  });

  it('delivers every message once, in order per conversation, after SIGKILL of one router and one connector per channel', async (t) => {
    const client = new ApiClient(api!.url);
    const [alice, bob, carol] = await Promise.all([client.login('user1'), client.login('user2'), client.login('user3')]);
    const recipients = [bob.userId, carol.userId];
    const conversations = await Promise.all(
      Array.from({ length: CONVERSATIONS }, () => alice.createConversation('group', [alice.userId, bob.userId, carol.userId])),
    );

    // The stream keeps going until AFTER_KILL more messages were accepted after the kills, so the kills always
    // fall mid-stream however long the consumer groups take to get going.
    const sent: string[] = [];
    const stream = { end: MAX_MESSAGES };
    const sending = sendAll(alice, conversations, sent, stream);

    // Mid-stream, kill -9 the router and one connector of each channel that are doing work right now.
    const victims = await waitFor(async () => {
      if (sent.length < BEFORE_KILL) return undefined;
      const router = routers.find((role) => role.linesWith('Routing message').length > 0);
      const whatsapp = connectors.whatsapp.find((role) => deliveries(role.output).length > 0);
      const instagram = connectors.instagram.find((role) => deliveries(role.output).length > 0);
      return router && whatsapp && instagram && [router, whatsapp, instagram];
    }, { timeoutMs: 30_000, what: 'a router and a connector of each channel at work' }).catch((error: unknown) => {
      stream.end = 0;
      throw error;
    });
    const acceptedAtKill = sent.length;
    await Promise.all(victims.map((victim) => victim.kill('SIGKILL')));
    stream.end = sent.length + AFTER_KILL;
    await sending;
    const total = sent.length;
    t.diagnostic(
      `SIGKILL after ${acceptedAtKill} of ${total} accepted: ${victims
        .map((victim) => `${victim.name} (pid ${victim.pid}, ${victim.name === 'router' ? victim.linesWith('Routing message').length + ' routed' : deliveries(victim.output).length + ' lines'})`)
        .join(', ')}`,
    );
    assert.ok(total - acceptedAtKill >= AFTER_KILL, 'messages were still being sent after the kills');

    const survivorsRunning = () => {
      const dead = all().filter((role) => !victims.includes(role) && role.exited);
      if (dead.length > 0) {
        throw new Error(`a surviving process exited: ${dead.map((role) => `${role.name} (pid ${role.pid}):\n${role.output.slice(-2_000)}`).join('\n')}`);
      }
      return true;
    };
    await waitFor(async () => {
      survivorsRunning();
      const messages = await listAll(alice, conversations);
      return messages.length === total && messages.every((message) => message.status === 'delivered');
    }, { timeoutMs: REBALANCE_MS, intervalMs: 250, what: 'every message delivered after the kills' }).catch(async (error: Error) => {
      const statuses = Map.groupBy(await listAll(alice, conversations), (message) => message.status);
      const summary = [...statuses].map(([status, messages]) => `${status}: ${messages.length}`).join(', ');
      throw new Error(`${error.message}; messages by status: ${summary}`);
    });

    // Exactly one delivery per (message, channel, recipient) in the store, and seq/conversation for the order check.
    const details = new Map<string, { conversation: string; seq: number }>();
    await forEachLimit(sent, 10, async (messageId) => {
      const response = await alice.get(`/v1/messages/${messageId}`);
      assert.equal(response.status, 200);
      const message = response.body;
      const keys = message.deliveries.map((d: { channel: string; recipient_id: string }) => `${d.channel}/${d.recipient_id}`);
      assert.deepEqual(
        [...keys].sort(),
        ['instagram', 'whatsapp'].flatMap((channel) => recipients.map((r) => `${channel}/${r}`)).sort(),
        `message ${messageId}: one delivery per channel and recipient`,
      );
      assert.ok(message.deliveries.every((d: { status: string }) => d.status === 'delivered'), `message ${messageId} deliveries`);
      details.set(messageId, { conversation: message.conversation_id, seq: message.seq });
    });

    // A delivery line per (message, recipient, channel), over every connector including the killed ones. A line is the
    // simulated channel's send, written before the hand-over is recorded: a killed connector's successor sends again
    // what it handed over and had not recorded, at most 16 hand-overs per connector (README, "Logs").
    const connectorProcesses = [...connectors.whatsapp, ...connectors.instagram];
    const expected = total * recipients.length * 2;
    const lines = await waitFor(async () => {
      const found = connectorProcesses.flatMap((role) => deliveries(role.output));
      return new Set(found.map(key)).size === expected && found;
    }, { what: 'a delivery line for every message, recipient and channel' }).catch((error: Error) => {
      const found = connectorProcesses.flatMap((role) => deliveries(role.output));
      const seen = new Set(found.map(key));
      const missing = sent.flatMap((id) =>
        Object.values(CHANNELS).flatMap((channel) => recipients.map((r) => ({ messageId: id, recipientId: r, channel }))),
      ).filter((d) => !seen.has(key(d)));
      throw new Error(`${error.message}; ${missing.length} missing, e.g. ${JSON.stringify(missing.slice(0, 3))}`);
    });
    const repeats = lines.length - expected;
    t.diagnostic(`delivery lines printed twice: ${repeats} of ${expected}`);
    assert.ok(repeats <= REPEATS_PER_CONNECTOR_AND_CRASH * 2, `${repeats} lines printed twice: at most 16 per killed connector`);
    assert.deepEqual(new Set(lines.map((line) => line.messageId)), new Set(sent));
    assert.ok(lines.every((line) => recipients.includes(line.recipientId)), 'only the other members receive');

    // Per conversation, channel and recipient, each connector delivered in seq order.
    const disorder: string[] = [];
    for (const role of connectorProcesses) {
      const last = new Map<string, number>();
      for (const line of deliveries(role.output)) {
        const { conversation, seq } = details.get(line.messageId)!;
        const stream = `${conversation}/${line.channel}/${line.recipientId}`;
        const previous = last.get(stream);
        if (previous !== undefined && seq <= previous) {
          disorder.push(`${role.name} (pid ${role.pid}): seq ${seq} after ${previous} in conversation ${conversation} to ${line.recipientId}`);
        }
        last.set(stream, seq);
      }
    }
    assert.deepEqual(disorder, [], 'each connector delivers a conversation in seq order');

    survivorsRunning();
    for (const channel of Object.keys(CHANNELS) as Channel[]) {
      const survivor = connectors[channel].find((role) => !victims.includes(role))!;
      assert.ok(deliveries(survivor.output).length > 0, `the surviving ${channel} connector delivered`);
    }
    t.diagnostic(
      `lines per connector: ${connectorProcesses.map((role) => `${role.name}#${role.pid}=${deliveries(role.output).length}`).join(', ')}`,
    );
  });
});

function key(delivery: Delivery): string {
  return `${delivery.messageId}/${delivery.recipientId}/${delivery.channel}`;
}

function deliveries(output: string): Delivery[] {
  return output.split('\n').flatMap((line) => {
    const match = DELIVERY_LINE.exec(line);
    return match ? [{ messageId: match[1]!, recipientId: match[2]!, channel: match[3]! }] : [];
  });
}

/**
 * Sends text messages on channels ['all'], round-robin over the conversations, until `stream.end` of them were
 * sent (the caller may move the end while it runs); pushes accepted ids.
 */
async function sendAll(sender: Session, conversations: string[], sent: string[], stream: { end: number }): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < stream.end) {
        const index = next++;
        const body = sender.textMessage(conversations[index % CONVERSATIONS]!, {
          channels: ['all'],
          payload: { type: 'text', text: `m${index}` },
        });
        const response = await sender.post('/v1/messages', body);
        assert.equal(response.status, 200, JSON.stringify(response.body));
        sent.push(body.message_id as string);
      }
    }),
  );
}

/** Every message of the conversations, page by page (at most 100 a page). */
async function listAll(reader: Session, conversations: string[]): Promise<Array<{ message_id: string; status: string }>> {
  const pages = await Promise.all(
    conversations.map(async (id) => {
      const messages: Array<{ message_id: string; status: string }> = [];
      for (let offset = 0; ; offset += 100) {
        const page = await reader.get(`/v1/conversations/${id}/messages?limit=100&offset=${offset}`);
        assert.equal(page.status, 200, JSON.stringify(page.body));
        messages.push(...page.body.messages);
        if (offset + 100 >= page.body.total) return messages;
      }
    }),
  );
  return pages.flat();
}

async function forEachLimit<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: limit }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}
