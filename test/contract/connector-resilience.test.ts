import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiClient, waitFor, type Session } from '../support/api-client.ts';
import { EventSocket, type Frame } from '../support/event-socket.ts';
import { HubProcess } from '../support/hub-process.ts';
import { runCli } from '../support/run-cli.ts';
import { strandReplayedDelivery } from '../support/stranded-replay.ts';
import { testModes } from '../support/test-modes.ts';

const settledStatuses = ['delivered', 'read', 'failed'];

async function sendMany(session: Session, conversations: string[], count: number, channels: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const body = session.textMessage(conversations[i % conversations.length]!, { channels, payload: { type: 'text', text: `m${i}` } });
    const response = await session.post('/v1/messages', body);
    assert.equal(response.status, 200);
    ids.push(body.message_id as string);
  }
  return ids;
}

const detail = async (session: Session, id: string) => (await session.get(`/v1/messages/${id}`)).body;

/** Waits for the message to reach `status`; a timeout says which status it was left in. */
async function untilStatus(session: Session, id: string, status: string, what = `message ${id} ${status}`): Promise<any> {
  let last: string | undefined;
  try {
    return await waitFor(async () => {
      const found = await detail(session, id);
      last = found.status;
      return found.status === status && found;
    }, { what });
  } catch (error) {
    throw new Error(`${(error as Error).message}; the message stayed ${last}`);
  }
}

/** A deployment where every Instagram send fails: two attempts, then the delivery is failed and dead-lettered. */
const instagramDown = { CHAT4ALL_MOCK_FAILURE_RATE: 'instagram=1', CHAT4ALL_CONNECTOR_MAX_ATTEMPTS: '2', CHAT4ALL_CONNECTOR_BACKOFF_MS: '10' };

const statusEvents = (socket: EventSocket, messageId: string, status: string): Frame[] =>
  socket.events.filter((frame) => frame.type === 'message.status' && frame.data.message_id === messageId && frame.data.status === status);

for (const mode of testModes) describe(`connectors under failure [${mode}]`, () => {
  it('with 30 % of sends failing, retries leave every message delivered or failed with a reason: none stuck', async () => {
    const hub = await HubProcess.start({
      mode,
      env: {
        CHAT4ALL_MOCK_FAILURE_RATE: 'whatsapp=0.3,instagram=0.3',
        CHAT4ALL_CONNECTOR_BACKOFF_MS: '5',
        CHAT4ALL_CONNECTOR_MAX_BACKOFF_MS: '20',
        CHAT4ALL_CIRCUIT_FAILURES: '1000',
      },
    });
    try {
      const client = new ApiClient(hub.url);
      const [alice, bob] = await Promise.all([client.login('user1'), client.login('user2')]);
      const conversations = await Promise.all(Array.from({ length: 5 }, () => alice.createConversation('private', [alice.userId, bob.userId])));
      const ids = await sendMany(alice, conversations, 100, ['all']);
      const final = await waitFor(async () => {
        const all = await Promise.all(ids.map((id) => detail(alice, id)));
        return all.every((m) => settledStatuses.includes(m.status)) && all;
      }, { timeoutMs: 60_000, what: 'every message settled' });
      const failed = final.filter((m) => m.status === 'failed');
      assert.ok(failed.every((m) => m.status_history.at(-1).reason), 'every failed message says why');
      // Five tries each: a delivery fails only if all five fail (0.3^5 ≈ 0.24 %).
      assert.ok(failed.length <= 5, `${failed.length} of 100 failed`);
    } finally {
      await hub.stop();
    }
  });

  it('opens the circuit after repeated failures and stops calling the channel for a while', async () => {
    const hub = await HubProcess.start({
      mode,
      env: {
        CHAT4ALL_MOCK_FAILURE_RATE: 'instagram=1',
        CHAT4ALL_CONNECTOR_MAX_ATTEMPTS: '1',
        CHAT4ALL_CIRCUIT_FAILURES: '3',
        CHAT4ALL_CIRCUIT_COOLDOWN_MS: '600000',
      },
    });
    try {
      const client = new ApiClient(hub.url);
      const [alice, bob] = await Promise.all([client.login('user1'), client.login('user2')]);
      const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
      const reasons: string[] = [];
      for (const id of await sendMany(alice, [conversation], 6, ['instagram'])) {
        const settled = await waitFor(async () => {
          const found = await detail(alice, id);
          return found.status === 'failed' && found;
        }, { what: `message ${id} failed` });
        reasons.push(settled.deliveries[0].reason);
      }
      assert.deepEqual(reasons.slice(0, 3).map((r) => /simulated failure/.test(r)), [true, true, true]);
      assert.deepEqual(reasons.slice(3).map((r) => /circuit open, not tried/.test(r)), [true, true, true]);
    } finally {
      await hub.stop();
    }
  });

  it('dead-letters a delivery that failed every retry, and replay delivers it once the channel works again', async () => {
    const dataDir = await HubProcess.freshDataDir(mode, 'chat4all-dlq-');
    const failing = await HubProcess.start({ mode, dataDir, env: instagramDown });
    let messageId: string;
    let bobId: string;
    try {
      const client = new ApiClient(failing.url);
      const [alice, bob] = await Promise.all([client.login('user1'), client.login('user2')]);
      bobId = bob.userId;
      const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
      messageId = (await sendMany(alice, [conversation], 1, ['instagram']))[0]!;
      const failed = await waitFor(async () => {
        const found = await detail(alice, messageId!);
        return found.status === 'failed' && found;
      }, { what: 'the message failed' });
      assert.match(failed.deliveries[0].reason, /after 2 attempts/);
    } finally {
      await failing.kill('SIGTERM');
    }

    const replay = await runCli(dataDir, mode, ['dead-letters', 'replay', 'instagram']);
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stdout, /Replayed 1 dead-lettered instagram deliveries/);

    const working = await HubProcess.start({ mode, dataDir });
    try {
      const alice = await new ApiClient(working.url).login('user1');
      const delivered = await waitFor(async () => {
        const found = await detail(alice, messageId!);
        return found.status === 'delivered' && found;
      }, { what: 'the replayed message delivered' });
      assert.deepEqual(delivered.status_history.map((s: { status: string }) => s.status), ['accepted', 'in_transit', 'failed', 'in_transit', 'delivered']);
      assert.match(delivered.status_history[3].reason, /replayed/);
      assert.deepEqual(delivered.deliveries[0].history.map((s: { status: string }) => s.status), ['pending', 'failed', 'pending', 'sent', 'delivered']);
      await waitFor(async () => working.linesWith(`INFO: Mensagem ${messageId} enviada para o usuário ${bobId} no Instagram`).length === 1, {
        what: 'the Instagram line after the replay',
      });
    } finally {
      await working.kill('SIGTERM');
      await HubProcess.removeState(dataDir, mode);
    }
  });

  it('finishes, when run again, a replay that stopped between putting a delivery back and dispatching it', async () => {
    const dataDir = await HubProcess.freshDataDir(mode, 'chat4all-dlq-stranded-');
    let messageId: string;
    let bobId: string;
    const failing = await HubProcess.start({ mode, dataDir, env: instagramDown });
    try {
      const client = new ApiClient(failing.url);
      const [alice, bob] = await Promise.all([client.login('user1'), client.login('user2')]);
      bobId = bob.userId;
      const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
      messageId = (await sendMany(alice, [conversation], 1, ['instagram']))[0]!;
      await untilStatus(alice, messageId, 'failed');
    } finally {
      await failing.kill('SIGTERM');
    }
    // The old replay committed this and crashed before publishing: pending, in_transit, nothing on the bus.
    await strandReplayedDelivery(dataDir, mode, messageId, 'instagram');

    const replay = await runCli(dataDir, mode, ['dead-letters', 'replay', 'instagram']);
    assert.equal(replay.code, 0, replay.stderr);

    const working = await HubProcess.start({ mode, dataDir });
    try {
      const alice = await new ApiClient(working.url).login('user1');
      const delivered = await untilStatus(alice, messageId, 'delivered', 'the stranded message delivered');
      assert.deepEqual(delivered.status_history.map((s: { status: string }) => s.status), ['accepted', 'in_transit', 'failed', 'in_transit', 'delivered']);
      assert.match(delivered.status_history[3].reason, /replayed/);
      assert.deepEqual(delivered.deliveries[0].history.map((s: { status: string }) => s.status), ['pending', 'failed', 'pending', 'sent', 'delivered']);
      await waitFor(async () => working.linesWith(`INFO: Mensagem ${messageId} enviada para o usuário ${bobId} no Instagram`).length === 1, {
        what: 'the Instagram line after the replay',
      });
      assert.match(replay.stdout, /Replayed 1 dead-lettered instagram deliveries/, 'the pending delivery counts as replayed');
    } finally {
      await working.kill('SIGTERM');
      await HubProcess.removeState(dataDir, mode);
    }
  });

  it('announces a second failure after a replay to the sender, as the new fact it is', async () => {
    const dataDir = await HubProcess.freshDataDir(mode, 'chat4all-dlq-twice-');
    let messageId: string;
    let lastEventId: number;
    const failing = await HubProcess.start({ mode, dataDir, env: instagramDown });
    try {
      const client = new ApiClient(failing.url);
      const [alice, bob] = await Promise.all([client.login('user1'), client.login('user2')]);
      const socket = await EventSocket.open(failing.url, alice.token);
      const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
      messageId = (await sendMany(alice, [conversation], 1, ['instagram']))[0]!;
      await untilStatus(alice, messageId, 'failed');
      const [first] = await waitFor(async () => statusEvents(socket, messageId, 'failed').length > 0 && statusEvents(socket, messageId, 'failed'), {
        what: 'the first failure announced',
      });
      lastEventId = first!.id!;
      await socket.close();
    } finally {
      await failing.kill('SIGTERM');
    }

    const replay = await runCli(dataDir, mode, ['dead-letters', 'replay', 'instagram']);
    assert.equal(replay.code, 0, replay.stderr);
    assert.match(replay.stdout, /Replayed 1 dead-lettered instagram deliveries/);

    const stillFailing = await HubProcess.start({ mode, dataDir, env: instagramDown });
    try {
      const alice = await new ApiClient(stillFailing.url).login('user1');
      const socket = await EventSocket.open(stillFailing.url, alice.token, { lastEventId });
      const failed = await untilStatus(alice, messageId, 'failed', 'the replayed message failed again');
      assert.deepEqual(failed.status_history.map((s: { status: string }) => s.status), ['accepted', 'in_transit', 'failed', 'in_transit', 'failed']);
      assert.match(failed.status_history[3].reason, /replayed/);
      assert.match(failed.status_history[4].reason, /after 2 attempts/);
      const second = await waitFor(async () => statusEvents(socket, messageId, 'failed')[0], { what: 'the second failure announced' });
      assert.ok(second.id! > lastEventId);
      assert.equal(second.data.previous_status, 'in_transit');
      const reopened = statusEvents(socket, messageId, 'in_transit');
      assert.equal(reopened.length, 1, 'the replay announced its move back to in_transit');
      assert.match(reopened[0]!.data.reason, /replayed/);
      await socket.close();
    } finally {
      await stillFailing.kill('SIGTERM');
      await HubProcess.removeState(dataDir, mode);
    }
  });
});
