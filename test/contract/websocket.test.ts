import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient, waitFor, type Session } from '../support/api-client.ts';
import { EventSocket, refusedUpgrade, type Frame } from '../support/event-socket.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';

const ids = (frames: Frame[]) => frames.map((frame) => frame.id);

for (const mode of testModes) describe(`WebSocket /v1/ws [${mode}]`, () => {
  let hub: HubProcess;
  let alice: Session;
  let bob: Session;
  let carol: Session;

  before(async () => {
    hub = await HubProcess.start({ mode });
    const client = new ApiClient(hub.url);
    [alice, bob, carol] = await Promise.all([client.login('user1'), client.login('user2'), client.login('user3')]);
  });
  after(() => hub.stop());

  const send = async (from: Session, conversation: string, text = 'hello') => {
    const body = from.textMessage(conversation, { payload: { type: 'text', text } });
    const response = await from.post('/v1/messages', body);
    assert.equal(response.status, 200);
    return { id: body.message_id as string, seq: response.body.seq as number };
  };

  it('pushes message.created to every member, and the sender’s message.status up to delivered, in order', async () => {
    const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
    const [aliceSocket, bobSocket] = await Promise.all([EventSocket.open(hub.url, alice.token), EventSocket.open(hub.url, bob.token)]);
    const sent = await send(alice, conversation, 'pushed');

    const created = await bobSocket.waitForEvent((f) => f.type === 'message.created' && f.data.message_id === sent.id, 'message.created for bob');
    assert.equal(created.data.conversation_id, conversation);
    assert.equal(created.data.seq, sent.seq);
    assert.equal(created.data.from, alice.userId);
    assert.deepEqual(created.data.payload, { type: 'text', text: 'pushed' });
    assert.ok(typeof created.occurred_at === 'string');

    await aliceSocket.waitForEvent((f) => f.type === 'message.status' && f.data.status === 'delivered', 'delivered for alice');
    const mine = aliceSocket.events.filter((f) => f.data.message_id === sent.id);
    assert.deepEqual(mine.map((f) => `${f.type}:${f.data.status ?? ''}`), [
      'message.created:',
      'message.status:in_transit',
      'message.status:delivered',
    ]);
    const statusOf = mine.find((f) => f.data.status === 'delivered')!;
    assert.equal(statusOf.data.previous_status, 'in_transit');
    assert.ok(!bobSocket.events.some((f) => f.type === 'message.status'), 'status events go to the sender only');
    const aliceIds = ids(aliceSocket.events) as number[];
    assert.deepEqual(aliceIds, [...aliceIds].sort((a, b) => a - b), 'ids increase');
    await Promise.all([aliceSocket.close(), bobSocket.close()]);
  });

  it('pushes conversation.read to the sender when a recipient reads', async () => {
    const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
    const socket = await EventSocket.open(hub.url, alice.token);
    const sent = await send(alice, conversation);
    await socket.waitForEvent((f) => f.type === 'message.status' && f.data.message_id === sent.id && f.data.status === 'delivered', 'delivered');
    assert.equal((await bob.post(`/v1/conversations/${conversation}/read`, { up_to_seq: sent.seq })).status, 200);
    const read = await socket.waitForEvent((f) => f.type === 'conversation.read', 'conversation.read');
    assert.deepEqual({ ...read.data, at: undefined }, { conversation_id: conversation, user_id: bob.userId, up_to_seq: sent.seq, at: undefined });
    await socket.waitForEvent((f) => f.type === 'message.status' && f.data.message_id === sent.id && f.data.status === 'read', 'read status');
    await socket.close();
  });

  it('replays exactly the 50 events missed while disconnected, in order, then goes on live', async () => {
    const conversation = await alice.createConversation('private', [alice.userId, carol.userId]);
    const first = await EventSocket.open(hub.url, carol.token);
    await send(alice, conversation, 'before');
    const [seen] = await first.waitForEvents(1);
    await first.close();

    for (let i = 0; i < 50; i++) await send(alice, conversation, `missed ${i}`);
    // carol gets one message.created per message: wait until all 50 are in her feed by reading them over REST.
    await waitFor(async () => {
      const page = await carol.get(`/v1/conversations/${conversation}/messages?after_seq=0&limit=100`);
      return page.body.messages.length === 51;
    }, { what: 'the 50 messages accepted' });

    const again = await EventSocket.open(hub.url, carol.token, { lastEventId: seen!.id! });
    const replayed = await again.waitForEvents(50, '50 replayed events');
    assert.deepEqual(replayed.map((f) => f.data.payload.text), Array.from({ length: 50 }, (_, i) => `missed ${i}`));
    assert.deepEqual(ids(replayed), Array.from({ length: 50 }, (_, i) => seen!.id! + 1 + i), 'consecutive ids right after the last one seen');

    await send(alice, conversation, 'live');
    const live = await again.waitForEvent((f) => f.data.payload?.text === 'live', 'the live event');
    assert.equal(live.id, seen!.id! + 51);
    assert.equal(again.events.length, 51, 'nothing twice');
    await again.close();
  });

  it('sends only new events to a client that gives no last_event_id', async () => {
    const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
    await send(alice, conversation, 'old');
    // Wait until the old message is in bob's feed (seen by a client replaying from the start).
    const replaying = await EventSocket.open(hub.url, bob.token, { lastEventId: 0 });
    await replaying.waitForEvent((f) => f.data.payload?.text === 'old', 'the old message in the feed');
    await replaying.close();
    const oldId = replaying.events.find((f) => f.data.payload?.text === 'old')!.id!;
    const socket = await EventSocket.open(hub.url, bob.token);
    assert.equal(socket.frames[0]!.type, 'ready');
    const start = socket.frames[0]!.last_event_id as number;
    assert.ok(start >= oldId, 'ready says where the session starts: after the old message');
    await send(alice, conversation, 'new');
    const event = await socket.waitForEvent((f) => f.data.payload?.text === 'new', 'the new message');
    assert.ok(!socket.events.some((f) => f.data.payload?.text === 'old'));
    assert.equal(event.type, 'message.created');
    assert.equal(socket.events[0]!.id, start + 1, 'nothing after the starting point is skipped');
    await socket.close();
  });

  it('resumes from a {"type":"resume"} frame sent by the client', async () => {
    const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
    const socket = await EventSocket.open(hub.url, bob.token);
    await send(alice, conversation, 'one');
    const [one] = await socket.waitForEvents(1);
    socket.socket.send(JSON.stringify({ type: 'resume', last_event_id: one!.id! - 1 }));
    await socket.waitForEvents(2, 'the event sent again after resume');
    assert.deepEqual(ids(socket.events), [one!.id, one!.id]);
    await socket.close();
  });

  for (const via of ['query', 'subprotocol'] as const) {
    it(`accepts the token in the ${via === 'query' ? '`token` query parameter' : 'subprotocol after "bearer"'}`, async () => {
      const socket = await EventSocket.open(hub.url, bob.token, { via });
      if (via === 'subprotocol') assert.equal(socket.socket.protocol, 'bearer');
      assert.equal(socket.frames[0]!.user_id, bob.userId);
      await socket.close();
    });
  }

  it('refuses an upgrade without a token, or with a bad one, with 401 and a problem', async () => {
    const missing = await refusedUpgrade(EventSocket.url(hub.url, {}));
    assert.equal(missing.status, 401);
    assert.equal(missing.body.error_code, 'TOKEN_MISSING');
    const bad = await refusedUpgrade(EventSocket.url(hub.url, { token: 'not-a-token' }));
    assert.equal(bad.status, 401);
    assert.equal(bad.body.error_code, 'TOKEN_INVALID');
  });

  it('refuses a bad last_event_id with 400 naming it', async () => {
    const refused = await refusedUpgrade(EventSocket.url(hub.url, { last_event_id: -1 }), { authorization: `Bearer ${bob.token}` });
    assert.equal(refused.status, 400);
    assert.ok(refused.body.field_errors.last_event_id);
  });

  it('closes with 1009 (message too big) a client frame over 4 KiB', async () => {
    const socket = await EventSocket.open(hub.url, bob.token);
    socket.socket.send(JSON.stringify({ type: 'ping', padding: 'x'.repeat(4 * 1024) }));
    assert.equal((await socket.waitForClose()).code, 1009);
  });

  it('refuses a last_event_id beyond what the hub stores (2^63) with 400 naming it', async () => {
    const url = EventSocket.url(hub.url, { last_event_id: '9223372036854775808' });
    const refused = await refusedUpgrade(url, { authorization: `Bearer ${bob.token}` });
    assert.equal(refused.status, 400);
    assert.ok(refused.body.field_errors.last_event_id);
  });

  it('answers an application ping with a pong, and an unknown frame with an error frame', async () => {
    const socket = await EventSocket.open(hub.url, bob.token);
    socket.socket.send(JSON.stringify({ type: 'ping' }));
    await waitFor(async () => socket.frames.some((f) => f.type === 'pong'), { what: 'pong' });
    socket.socket.send('nonsense');
    await waitFor(async () => socket.frames.some((f) => f.type === 'error'), { what: 'error frame' });
    assert.equal(socket.closed, undefined, 'still open');
    await socket.close();
  });
});

for (const mode of testModes) describe(`WebSocket lifetime [${mode}]`, () => {
  let hub: HubProcess;
  let client: ApiClient;

  before(async () => {
    hub = await HubProcess.start({ mode, env: { CHAT4ALL_WS_HEARTBEAT_MS: '150', TOKEN_TTL_SECONDS: '3' } });
    client = new ApiClient(hub.url);
  });
  after(() => hub.stop());

  it('pings clients and keeps those that answer', async () => {
    const session = await client.login('user1');
    const socket = await EventSocket.open(hub.url, session.token);
    await waitFor(async () => socket.pings >= 4, { what: 'four heartbeats' });
    assert.equal(socket.closed, undefined);
    await socket.close();
  });

  it('drops a client that stops answering pings', async () => {
    const session = await client.login('user2');
    const socket = await EventSocket.open(hub.url, session.token, { autoPong: false });
    const closed = await socket.waitForClose();
    assert.equal(closed.code, 1006, 'terminated without a closing handshake');
  });

  it('closes with code 4001 when the token expires', async () => {
    const session = await client.login('user3');
    const socket = await EventSocket.open(hub.url, session.token);
    const closed = await socket.waitForClose();
    assert.equal(closed.code, 4001);
    assert.match(closed.reason, /expired/);
  });
});

describe('WebSocket across API processes [distributed]', { skip: testModes.includes('distributed') ? false : 'distributed mode is off' }, () => {
  let hub: HubProcess;
  let secondApi: HubProcess;

  before(async () => {
    hub = await HubProcess.start({ mode: 'distributed' });
    // Another API process on the same PostgreSQL and Kafka: its clients get what the first one accepted.
    secondApi = await HubProcess.start({ mode: 'distributed', dataDir: hub.dataDir, args: ['api'] });
  });
  after(async () => {
    await secondApi?.kill('SIGTERM');
    await hub?.stop();
  });

  it('pushes to a client of one API process what was sent through another', async () => {
    const first = new ApiClient(hub.url);
    const second = new ApiClient(secondApi.url);
    const alice = await first.login('user1');
    const bob = await second.login('user2');
    const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
    const socket = await EventSocket.open(secondApi.url, bob.token);
    const body = alice.textMessage(conversation, { payload: { type: 'text', text: 'across processes' } });
    assert.equal((await alice.post('/v1/messages', body)).status, 200);
    const created = await socket.waitForEvent((f) => f.data.message_id === body.message_id, 'the message on the other process');
    assert.equal(created.type, 'message.created');
    await socket.close();
  });
});
