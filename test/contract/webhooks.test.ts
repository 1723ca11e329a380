import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, afterEach, before, describe, it } from 'node:test';
import { Webhook } from 'standardwebhooks';
import { ApiClient, waitFor, type Session } from '../support/api-client.ts';
import { assertProblem, UUID } from '../support/assertions.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';
import { WebhookReceiver, type Attempt } from '../support/webhook-receiver.ts';

const ALL_EVENTS = ['message.created', 'message.status', 'conversation.read'];

/**
 * Quick retries so failing receivers are retried within a test. The attempt timeout is long, so that the slow
 * receiver tests can tell "another endpoint was served while this one hung" without any race against it. The
 * receivers are on loopback, which the hub refuses unless allowed (webhook-destinations.test.ts checks that).
 */
const HUB_ENV = {
  CHAT4ALL_WEBHOOK_BACKOFF_BASE_MS: '50',
  CHAT4ALL_WEBHOOK_TIMEOUT_MS: '60000',
  CHAT4ALL_WEBHOOK_CONCURRENCY: '4',
  CHAT4ALL_WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true',
};

/** Checks an attempt from the receiver's side, with the reference library; returns the verified payload. */
function verify(secret: string, attempt: Attempt): any {
  return new Webhook(secret).verify(attempt.body, attempt.headers);
}

/** The users of one hub, and the webhooks and receivers a test made (removed after it). */
function webhookFixture() {
  const made: Array<{ session: Session; id: string }> = [];
  const receivers: WebhookReceiver[] = [];
  return {
    async receiver(): Promise<WebhookReceiver> {
      const receiver = await WebhookReceiver.start();
      receivers.push(receiver);
      return receiver;
    },
    async register(session: Session, url: string, events: string[] = ALL_EVENTS): Promise<{ id: string; secret: string }> {
      const response = await session.post('/v1/webhooks', { url, events });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      made.push({ session, id: response.body.webhook_id });
      return { id: response.body.webhook_id, secret: response.body.secret };
    },
    async cleanUp(): Promise<void> {
      for (const { session, id } of made.splice(0)) {
        await session.client.request('DELETE', `/v1/webhooks/${id}`, { token: session.token });
      }
      for (const receiver of receivers.splice(0)) await receiver.close();
    },
  };
}

async function send(from: Session, conversation: string, text = 'hello'): Promise<string> {
  const body = from.textMessage(conversation, { payload: { type: 'text', text } });
  const response = await from.post('/v1/messages', body);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return body.message_id as string;
}

const until = (session: Session, messageId: string, status: string) =>
  waitFor(async () => (await session.get(`/v1/messages/${messageId}`)).body.status === status, {
    what: `message ${messageId} ${status}`,
  });

const ofMessage = (messageId: string) => (attempt: Attempt) => attempt.payload.data?.message_id === messageId;

/** Neither answered nor given up on: the hub still holds a slot for it. */
const stillHanging = (attempt: Attempt) => attempt.answered === undefined && !attempt.abandoned;

for (const mode of testModes) describe(`webhooks [${mode}]`, () => {
  let hub: HubProcess;
  let alice: Session;
  let bob: Session;
  let carol: Session;
  let privateChat: string;
  const fixture = webhookFixture();

  before(async () => {
    hub = await HubProcess.start({ mode, env: HUB_ENV });
    const client = new ApiClient(hub.url);
    [alice, bob, carol] = await Promise.all([client.login('user1'), client.login('user2'), client.login('user3')]);
    privateChat = await alice.createConversation('private', [alice.userId, bob.userId]);
  });
  afterEach(() => fixture.cleanUp());
  after(() => hub.stop());

  describe('registration', () => {
    it('registers a webhook and shows its Standard Webhooks secret once', async () => {
      const url = 'https://app.example.com/chat4all/events?tenant=7';
      const response = await alice.post('/v1/webhooks', { url, events: ['message.created', 'conversation.read'] });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      const { webhook_id: id, secret, created_at: createdAt, ...rest } = response.body;
      assert.match(id, UUID);
      assert.match(secret, /^whsec_[A-Za-z0-9+/]{40,}={0,2}$/);
      assert.ok(!Number.isNaN(Date.parse(createdAt)));
      assert.deepEqual(rest, { url, events: ['message.created', 'conversation.read'] });
      const stored = { webhook_id: id, url, events: ['message.created', 'conversation.read'], created_at: createdAt };
      assert.deepEqual((await alice.get(`/v1/webhooks/${id}`)).body, stored, 'no secret when read back');
      assert.deepEqual((await alice.get('/v1/webhooks')).body, { webhooks: [stored] }, 'no secret in the list');
      await alice.client.request('DELETE', `/v1/webhooks/${id}`, { token: alice.token });
    });

    it('answers bad registrations with a 400 naming the field', async () => {
      const cases: Array<[unknown, string]> = [
        [{ events: ['message.created'] }, 'url'],
        [{ url: 'https://example.com/' }, 'events'],
        [{ url: 42, events: ['message.created'] }, 'url'],
        [{ url: '/relative/path', events: ['message.created'] }, 'url'],
        [{ url: 'ftp://example.com/in', events: ['message.created'] }, 'url'],
        [{ url: 'https://user:pass@example.com/', events: ['message.created'] }, 'url'],
        [{ url: `https://example.com/${'a'.repeat(2048)}`, events: ['message.created'] }, 'url'],
        [{ url: '', events: ['message.created'] }, 'url'],
        [{ url: 'https://example.com/', events: [] }, 'events'],
        [{ url: 'https://example.com/', events: ['message.deleted'] }, 'events.0'],
        [{ url: 'https://example.com/', events: 'message.created' }, 'events'],
        [{ url: 'https://example.com/', events: ['message.created'], secret: 'mine' }, 'secret'],
      ];
      for (const [body, field] of cases) {
        const response = await alice.post('/v1/webhooks', body);
        assertProblem(response, 400, 'VALIDATION_FAILED');
        assert.ok(response.body.field_errors?.[field], `${JSON.stringify(body).slice(0, 80)} → ${JSON.stringify(response.body.field_errors)}`);
      }
      assert.deepEqual((await alice.get('/v1/webhooks')).body.webhooks, [], 'nothing stored');
    });

    it('keeps webhooks to their owner: to anyone else they do not exist', async () => {
      const { id } = await fixture.register(alice, 'https://example.com/alice');
      for (const [method, path, body] of [
        ['GET', `/v1/webhooks/${id}`],
        ['DELETE', `/v1/webhooks/${id}`],
        ['GET', `/v1/webhooks/${id}/dead-letters`],
        ['POST', `/v1/webhooks/${id}/dead-letters/replay`, {}],
      ] as const) {
        assertProblem(await bob.client.request(method, path, { token: bob.token, body }), 404, 'WEBHOOK_NOT_FOUND');
      }
      assert.deepEqual((await bob.get('/v1/webhooks')).body.webhooks, []);
      assert.equal((await alice.get(`/v1/webhooks/${id}`)).status, 200, 'still there for its owner');
    });

    it('deletes a webhook (204), after which it is gone and gets nothing more', async () => {
      const receiver = await fixture.receiver();
      const gone = await fixture.register(bob, receiver.url('/gone'), ['message.created']);
      await fixture.register(bob, receiver.url('/kept'), ['message.created']);
      const deleted = await bob.client.request('DELETE', `/v1/webhooks/${gone.id}`, { token: bob.token });
      assert.equal(deleted.status, 204);
      assert.equal(deleted.body, '');
      assertProblem(await bob.get(`/v1/webhooks/${gone.id}`), 404, 'WEBHOOK_NOT_FOUND');
      assertProblem(await bob.client.request('DELETE', `/v1/webhooks/${gone.id}`, { token: bob.token }), 404, 'WEBHOOK_NOT_FOUND');

      const messageId = await send(alice, privateChat);
      await receiver.waitForAttempt((a) => a.path === '/kept' && ofMessage(messageId)(a), 'the message on the kept webhook');
      assert.deepEqual(receiver.attempts.filter((a) => a.path === '/gone'), []);
    });

    it('refuses a 21st webhook for one user with 409', async () => {
      for (let i = 0; i < 20; i++) await fixture.register(carol, `https://example.com/hook/${i}`);
      assertProblem(await carol.post('/v1/webhooks', { url: 'https://example.com/one-more', events: ALL_EVENTS }), 409, 'WEBHOOK_LIMIT_REACHED');
    });

    it('answers 400 for an id that is not a UUID and 404 for an unknown one', async () => {
      assertProblem(await alice.get('/v1/webhooks/not-a-uuid'), 400, 'VALIDATION_FAILED');
      assertProblem(await alice.get(`/v1/webhooks/${randomUUID()}`), 404, 'WEBHOOK_NOT_FOUND');
    });

    it('needs a token', async () => {
      assertProblem(await alice.client.request('GET', '/v1/webhooks'), 401, 'TOKEN_MISSING');
    });
  });

  describe('delivery', () => {
    it('POSTs each event signed as Standard Webhooks specifies, verified by the standardwebhooks package', async () => {
      const receiver = await fixture.receiver();
      const { secret } = await fixture.register(bob, receiver.url(), ['message.created']);
      const messageId = await send(alice, privateChat, 'signed');
      const attempt = await receiver.waitForAttempt(ofMessage(messageId), 'the message.created delivery');

      const payload = verify(secret, attempt);
      assert.equal(payload.type, 'message.created');
      assert.equal(payload.data.message_id, messageId);
      assert.deepEqual(payload.data.payload, { type: 'text', text: 'signed' });
      assert.equal(payload.data.from, alice.userId);
      assert.equal(typeof payload.event_id, 'number');
      assert.ok(!Number.isNaN(Date.parse(payload.timestamp)));
      assert.match(attempt.headers['webhook-id']!, UUID);
      assert.match(attempt.headers['webhook-signature']!, /^v1,[A-Za-z0-9+/]+={0,2}$/);
      assert.match(attempt.headers['content-type']!, /^application\/json/);
      assert.ok(Math.abs(Number(attempt.headers['webhook-timestamp']) - Date.now() / 1000) < 300, 'timestamp in seconds, now');
    });

    it('keeps trying a receiver that fails its first 3 attempts, with the same webhook-id, until it gets the event', async () => {
      const receiver = await fixture.receiver();
      receiver.answer = (_attempt, previous) => (previous < 3 ? 503 : 200);
      const { secret } = await fixture.register(bob, receiver.url(), ['message.created']);
      const messageId = await send(alice, privateChat, 'persistent');
      const [delivered] = await receiver.waitForDelivered(1);

      const attempts = receiver.attempts.filter(ofMessage(messageId));
      assert.equal(attempts.length, 4, 'three failures, then the delivery');
      assert.equal(new Set(attempts.map((a) => a.headers['webhook-id'])).size, 1, 'one webhook-id on every attempt');
      assert.equal(new Set(attempts.map((a) => a.body)).size, 1, 'the same body on every attempt');
      const times = attempts.map((a) => Number(a.headers['webhook-timestamp']));
      assert.deepEqual(times, [...times].sort((a, b) => a - b), 'each attempt signed with its own time');
      for (const attempt of attempts) assert.equal(verify(secret, attempt).data.message_id, messageId);
      assert.equal(delivered, attempts[3]);
    });

    it('sends only the event types a webhook chose', async () => {
      const receiver = await fixture.receiver();
      await fixture.register(alice, receiver.url('/reads'), ['conversation.read']);
      await fixture.register(alice, receiver.url('/all'), ALL_EVENTS);
      const messageId = await send(alice, privateChat);
      await until(alice, messageId, 'delivered');
      const { seq } = (await alice.get(`/v1/messages/${messageId}`)).body;
      assert.equal((await bob.post(`/v1/conversations/${privateChat}/read`, { up_to_seq: seq })).status, 200);

      // Every event of this test reaches /all; by then the /reads deliveries, queued with the same events, have come.
      await receiver.waitForAttempt((a) => a.path === '/all' && a.payload.data.status === 'read', 'message.status read on /all');
      await receiver.waitForAttempt((a) => a.path === '/reads', 'conversation.read on /reads');
      const reads = receiver.delivered('/reads');
      assert.deepEqual([...new Set(reads.map((a) => a.payload.type))], ['conversation.read']);
      assert.ok(receiver.delivered('/all').some((a) => a.payload.type === 'message.created'));
    });

    it("delivers only its owner's events: the sender's statuses to the sender, nothing to a non-member", async () => {
      const receiver = await fixture.receiver();
      await fixture.register(alice, receiver.url('/alice'));
      await fixture.register(bob, receiver.url('/bob'));
      await fixture.register(carol, receiver.url('/carol'));
      const messageId = await send(alice, privateChat);
      await receiver.waitForAttempt((a) => a.path === '/alice' && a.payload.data.status === 'delivered', 'delivered on /alice');
      await receiver.waitForAttempt((a) => a.path === '/bob' && ofMessage(messageId)(a), 'message.created on /bob');

      assert.deepEqual(receiver.delivered('/bob').map((a) => a.payload.type), ['message.created']);
      assert.deepEqual(receiver.attempts.filter((a) => a.path === '/carol'), []);
    });

    it('neither message delivery nor another endpoint waits for a receiver that hangs', async () => {
      const slow = await fixture.receiver();
      slow.answer = () => 'hang';
      const fast = await fixture.receiver();
      await fixture.register(alice, slow.url(), ['message.created']);
      await fixture.register(alice, fast.url(), ['message.created']);
      // More deliveries to the hanging receiver than the hub has attempt slots (CHAT4ALL_WEBHOOK_CONCURRENCY=4).
      const sent: string[] = [];
      for (let i = 0; i < 8; i++) sent.push(await send(alice, privateChat, `while hanging ${i}`));

      await fast.waitForDelivered(8, '/hook', 'all 8 events on the fast receiver');
      for (const messageId of sent) await until(alice, messageId, 'delivered');
      assert.ok(slow.attempts.length >= 1, 'the slow receiver was tried');
      assert.ok(slow.attempts.every(stillHanging), 'and is still hanging, not timed out');
      assert.deepEqual(new Set(fast.delivered().map((a) => a.payload.data.message_id)), new Set(sent));
    });

    it("does not hold another user's deliveries for one user's slow endpoints", async () => {
      // As many hanging endpoints as the hub has attempt slots, all alice's, each on a host (port) of its own.
      const slow = await Promise.all([1, 2, 3, 4].map(() => fixture.receiver()));
      for (const receiver of slow) {
        receiver.answer = () => 'hang';
        await fixture.register(alice, receiver.url(), ['message.created']);
      }
      await send(bob, privateChat, 'to the slow endpoints');
      await waitFor(async () => slow.some((receiver) => receiver.attempts.length > 0), { what: "alice's slow endpoints tried" });

      const fast = await fixture.receiver();
      await fixture.register(bob, fast.url(), ['message.created']);
      const messageId = await send(alice, privateChat, 'to the fast endpoint');
      await fast.waitForAttempt(ofMessage(messageId), "the message on bob's endpoint");
      assert.ok(slow.every((receiver) => receiver.attempts.every(stillHanging)), "while alice's endpoints still hang");
    });

    it("does not hold other hosts' deliveries for a slow host, however many users' webhooks name it", async () => {
      const slow = await fixture.receiver();
      slow.answer = () => 'hang';
      // As many webhooks on the one host as the hub has attempt slots, two users' worth.
      for (const [session, path] of [[alice, '/a1'], [alice, '/a2'], [carol, '/c1'], [carol, '/c2']] as const) {
        await fixture.register(session, slow.url(path), ['message.created']);
      }
      const group = await bob.createConversation('group', [alice.userId, bob.userId, carol.userId]);
      await send(bob, group, 'to the slow host');
      await slow.waitForAttempt(() => true, 'the slow host tried');

      const fast = await fixture.receiver();
      await fixture.register(bob, fast.url(), ['message.created']);
      const messageId = await send(alice, privateChat, 'to another host');
      await fast.waitForAttempt(ofMessage(messageId), "the message on bob's endpoint");
      assert.ok(slow.attempts.every(stillHanging), 'while the slow host still hangs');
    });
  });
});

for (const mode of testModes) describe(`webhook dead letters [${mode}]`, () => {
  let hub: HubProcess;
  let alice: Session;
  let bob: Session;
  let privateChat: string;
  const fixture = webhookFixture();

  before(async () => {
    // A 2 s retry window: a receiver that stays down is dead-lettered within a test.
    hub = await HubProcess.start({ mode, env: { ...HUB_ENV, CHAT4ALL_WEBHOOK_RETRY_WINDOW_SECONDS: '2' } });
    const client = new ApiClient(hub.url);
    [alice, bob] = await Promise.all([client.login('user1'), client.login('user2')]);
    privateChat = await alice.createConversation('private', [alice.userId, bob.userId]);
  });
  afterEach(() => fixture.cleanUp());
  after(() => hub.stop());

  const deadLetters = async (session: Session, webhookId: string, query = '') => {
    const response = await session.get(`/v1/webhooks/${webhookId}/dead-letters${query}`);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body;
  };
  const waitForDeadLetters = (session: Session, webhookId: string, count: number) =>
    waitFor(async () => {
      const page = await deadLetters(session, webhookId, '?limit=100');
      return page.dead_letters.length >= count && page.dead_letters;
    }, { what: `${count} dead letters` });

  it('dead-letters what a dead receiver never took, lists it, and delivers it on replay once the receiver is back', async () => {
    const receiver = await fixture.receiver();
    receiver.answer = () => 'drop';
    const { id, secret } = await fixture.register(bob, receiver.url(), ['message.created']);
    const messageId = await send(alice, privateChat, 'lost for a while');

    const [letter] = await waitForDeadLetters(bob, id, 1);
    const tried = receiver.attempts.filter(ofMessage(messageId));
    assert.ok(tried.length >= 2, `retried before giving up (${tried.length} attempts)`);
    assert.deepEqual(new Set(tried.map((a) => a.headers['webhook-id'])), new Set([letter.delivery_id]));
    assert.equal(letter.attempts, tried.length);
    assert.equal(letter.last_status, null, 'no HTTP answer');
    assert.equal(typeof letter.last_error, 'string');
    assert.equal(letter.payload.type, 'message.created');
    assert.equal(letter.payload.data.message_id, messageId);
    assert.ok(Date.parse(letter.first_attempt_at) <= Date.parse(letter.last_attempt_at));
    assert.ok(Date.parse(letter.last_attempt_at) <= Date.parse(letter.dead_at));

    receiver.answer = () => 200;
    const replay = await bob.post(`/v1/webhooks/${id}/dead-letters/replay`, {});
    assert.equal(replay.status, 202, JSON.stringify(replay.body));
    assert.deepEqual(replay.body, { webhook_id: id, replayed: 1, delivery_ids: [letter.delivery_id] });
    const [delivered] = await receiver.waitForDelivered(1);
    assert.equal(delivered!.headers['webhook-id'], letter.delivery_id, 'the same webhook-id as before');
    assert.equal(verify(secret, delivered!).data.message_id, messageId);
    assert.deepEqual((await deadLetters(bob, id)).dead_letters, [], 'no longer a dead letter');
  });

  it('records the last HTTP status, pages the dead letters, and replays only those named', async () => {
    const receiver = await fixture.receiver();
    receiver.answer = () => 503;
    const { id } = await fixture.register(bob, receiver.url(), ['message.created']);
    for (let i = 0; i < 3; i++) await send(alice, privateChat, `refused ${i}`);
    const letters = await waitForDeadLetters(bob, id, 3);
    assert.deepEqual(letters.map((l: any) => [l.last_status, l.last_error]), Array(3).fill([503, 'HTTP 503']));

    const first = await deadLetters(bob, id, '?limit=2');
    assert.equal(first.dead_letters.length, 2);
    assert.equal(typeof first.next_after, 'number');
    const second = await deadLetters(bob, id, `?limit=2&after=${first.next_after}`);
    assert.equal(second.next_after, null);
    const paged = [...first.dead_letters, ...second.dead_letters].map((l: any) => l.delivery_id);
    assert.deepEqual(paged, letters.map((l: any) => l.delivery_id), 'each once, in the order they died');

    receiver.answer = () => 200;
    const chosen = letters[1].delivery_id;
    const replay = await bob.post(`/v1/webhooks/${id}/dead-letters/replay`, { delivery_ids: [chosen, randomUUID()] });
    assert.deepEqual(replay.body, { webhook_id: id, replayed: 1, delivery_ids: [chosen] }, 'unknown ids are skipped');
    await receiver.waitForDelivered(1);
    const left = (await deadLetters(bob, id)).dead_letters.map((l: any) => l.delivery_id);
    assert.deepEqual(left, [letters[0].delivery_id, letters[2].delivery_id]);
  });

  it('answers a bad replay body with a 400 naming the field', async () => {
    const { id } = await fixture.register(bob, 'https://example.com/never-called', ['conversation.read']);
    for (const [body, field] of [
      [{ delivery_ids: ['nope'] }, 'delivery_ids.0'],
      [{ delivery_ids: [] }, 'delivery_ids'],
      [{ ids: [randomUUID()] }, 'ids'],
    ] as const) {
      const response = await bob.post(`/v1/webhooks/${id}/dead-letters/replay`, body);
      assertProblem(response, 400, 'VALIDATION_FAILED');
      assert.ok(response.body.field_errors?.[field], JSON.stringify(response.body.field_errors));
    }
  });
});

for (const mode of testModes) describe(`webhook deliveries across a restart [${mode}]`, () => {
  let dataDir: string;
  let hub: HubProcess | undefined;
  let receiver: WebhookReceiver;

  before(async () => {
    dataDir = await HubProcess.freshDataDir(mode, 'chat4all-webhook-restart-');
    receiver = await WebhookReceiver.start();
  });
  after(async () => {
    await hub?.kill('SIGTERM');
    await receiver.close();
    await HubProcess.removeState(dataDir, mode);
  });

  it('gives back an attempt in flight when the hub stops, and delivers it after the restart', async () => {
    hub = await HubProcess.start({ mode, dataDir, env: HUB_ENV });
    const client = new ApiClient(hub.url);
    const [alice, bob] = await Promise.all([client.login('user1'), client.login('user2')]);
    const conversation = await alice.createConversation('private', [alice.userId, bob.userId]);
    receiver.answer = () => 'hang';
    const registered = await bob.post('/v1/webhooks', { url: receiver.url(), events: ['message.created'] });
    const messageId = await send(alice, conversation, 'in flight');
    const hanging = await receiver.waitForAttempt(ofMessage(messageId), 'the attempt that hangs');

    assert.equal(await hub.kill('SIGTERM'), 0, 'a graceful stop, without waiting out the attempt timeout');
    receiver.answer = () => 200;
    hub = await HubProcess.start({ mode, dataDir, env: HUB_ENV });
    const [delivered] = await receiver.waitForDelivered(1);
    assert.equal(delivered!.headers['webhook-id'], hanging.headers['webhook-id'], 'the same delivery');
    assert.equal(verify(registered.body.secret, delivered!).data.message_id, messageId);
  });
});
