/**
 * Issue 15 point 8: `Idempotency-Key` on every POST that creates something, and private conversations got or
 * created once per pair of users.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ApiClient, type ApiResponse, type Session } from '../support/api-client.ts';
import { assertProblem } from '../support/assertions.ts';
import { HubProcess } from '../support/hub-process.ts';
import { runCli } from '../support/run-cli.ts';
import { testModes } from '../support/test-modes.ts';

/** A caller of one route: what it POSTs, and how to count what exists. */
interface Caller {
  post(body: unknown, key?: string): Promise<ApiResponse>;
  /** How many the caller can see; uploads have no list, the ids answered show what was created. */
  count?: () => Promise<number>;
}

interface Route {
  name: string;
  /** The two independent callers of the route. */
  callers: () => [Caller, Caller];
  /** A valid body, different for each `n`. */
  body: (n: string) => Record<string, unknown>;
  /** The id of what the answer created. */
  id: (body: Record<string, any>) => string;
}

for (const mode of testModes) describe(`Idempotency-Key on creations, private get-or-create [${mode}]`, () => {
  let dataDir: string;
  let hub: HubProcess;
  let client: ApiClient;
  let alice: Session;
  let bob: Session;
  let carol: Session;
  const adminTokens: string[] = [];

  before(async () => {
    dataDir = await HubProcess.freshDataDir(mode, 'chat4all-idempotency-keys-');
    for (const name of ['admin one', 'admin two']) {
      const added = await runCli(dataDir, mode, ['client', 'add', name, '--scopes', 'admin']);
      assert.equal(added.code, 0, added.stderr);
      const id = /client_id:\s+(\S+)/.exec(added.stdout)![1]!;
      const secret = /client_secret:\s+(\S+)/.exec(added.stdout)![1]!;
      adminTokens.push(secret, id);
    }
    hub = await HubProcess.start({ mode, dataDir, env: { CHAT4ALL_WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true' } });
    client = new ApiClient(hub.url);
    [alice, bob, carol] = await Promise.all([client.login('user1'), client.login('user2'), client.login('user3')]);
    const [secretOne, idOne, secretTwo, idTwo] = adminTokens.splice(0);
    for (const [id, secret] of [[idOne!, secretOne!], [idTwo!, secretTwo!]]) {
      const granted = await client.request('POST', '/auth/token', { body: { grant_type: 'client_credentials', client_id: id, client_secret: secret } });
      assert.equal(granted.status, 200, JSON.stringify(granted.body));
      adminTokens.push(granted.body.access_token);
    }
  });
  after(async () => {
    await hub?.stop();
    await HubProcess.removeState(dataDir, mode);
  });

  /** A new user, signed in: pairs of their own for private conversations. */
  const newUser = async (): Promise<Session> => {
    const username = `pair-${randomUUID().slice(0, 8)}`;
    const created = await client.request('POST', '/v1/admin/users', { token: adminTokens[0]!, body: { username, password: 'a long secret' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return client.login(username, 'a long secret');
  };
  const keyed = (key?: string) => (key === undefined ? undefined : { 'idempotency-key': key });
  const chatCaller = (session: () => Session, path: string, count?: (session: Session) => Promise<number>): Caller => ({
    post: (body, key) => session().post(path, body, keyed(key)),
    ...(count ? { count: () => count(session()) } : {}),
  });
  const adminCaller = (token: () => string): Caller => ({
    post: (body, key) => client.request('POST', '/v1/admin/users', { token: token(), body, ...(key ? { headers: keyed(key)! } : {}) }),
    count: async () => (await client.request('GET', '/v1/admin/users?limit=1', { token: token() })).body.total,
  });
  const conversationCount = async (session: Session) => (await session.get('/v1/conversations?limit=100')).body.conversations.length;
  const webhookCount = async (session: Session) => (await session.get('/v1/webhooks')).body.webhooks.length;

  const routes: Route[] = [
    {
      name: 'POST /v1/conversations',
      callers: () => [chatCaller(() => alice, '/v1/conversations', conversationCount), chatCaller(() => bob, '/v1/conversations', conversationCount)],
      body: (n) => ({ type: 'group', members: [alice.userId, bob.userId, carol.userId], metadata: { name: `team ${n}` } }),
      id: (body) => body.conversation_id,
    },
    {
      name: 'POST /v1/files/initiate',
      callers: () => [chatCaller(() => alice, '/v1/files/initiate'), chatCaller(() => bob, '/v1/files/initiate')],
      body: (n) => ({ filename: `notes-${n}.txt`, file_size: 1000 }),
      id: (body) => body.file_id,
    },
    {
      name: 'POST /v1/webhooks',
      callers: () => [chatCaller(() => alice, '/v1/webhooks', webhookCount), chatCaller(() => bob, '/v1/webhooks', webhookCount)],
      body: (n) => ({ url: `http://127.0.0.1:9/hook/${n}`, events: ['message.created'] }),
      id: (body) => body.webhook_id,
    },
    {
      name: 'POST /v1/admin/users',
      callers: () => [adminCaller(() => adminTokens[0]!), adminCaller(() => adminTokens[1]!)],
      body: (n) => ({ username: `idem-${n}`, password: 'a long secret' }),
      id: (body) => body.user_id,
    },
  ];

  for (const route of routes) {
    describe(route.name, () => {
      it('answers a retry with the same key and body with the first answer, Idempotent-Replay: true, creating nothing', async () => {
        const [caller] = route.callers();
        const key = randomUUID();
        const body = route.body(randomUUID().slice(0, 8));
        const first = await caller.post(body, key);
        assert.equal(first.status, 201, JSON.stringify(first.body));
        assert.equal(first.headers.get('idempotent-replay'), null);
        const before = await caller.count?.();
        // The same body with its keys in another order is the same request.
        const again = await caller.post(Object.fromEntries(Object.entries(body).reverse()), key);
        assert.equal(again.status, 201, JSON.stringify(again.body));
        assert.equal(again.headers.get('idempotent-replay'), 'true');
        assert.equal(route.id(again.body), route.id(first.body));
        assert.deepEqual(again.body, first.body);
        assert.equal(await caller.count?.(), before, 'nothing new was created');
      });

      it('answers 409 IDEMPOTENCY_CONFLICT to the same key with another body', async () => {
        const [caller] = route.callers();
        const key = randomUUID();
        assert.equal((await caller.post(route.body(randomUUID().slice(0, 8)), key)).status, 201);
        const before = await caller.count?.();
        assertProblem(await caller.post(route.body(randomUUID().slice(0, 8)), key), 409, 'IDEMPOTENCY_CONFLICT');
        assert.equal(await caller.count?.(), before);
      });

      it('creates anew under a different key, and lets two callers use one key independently', async () => {
        const [first, second] = route.callers();
        const key = randomUUID();
        const one = await first.post(route.body(randomUUID().slice(0, 8)), key);
        const two = await first.post(route.body(randomUUID().slice(0, 8)), randomUUID());
        const other = await second.post(route.body(randomUUID().slice(0, 8)), key);
        for (const response of [one, two, other]) {
          assert.equal(response.status, 201, JSON.stringify(response.body));
          assert.equal(response.headers.get('idempotent-replay'), null);
        }
        assert.equal(new Set([one, two, other].map((response) => route.id(response.body))).size, 3);
      });
    });
  }

  it('keeps no answer for a refused request: the key then serves the corrected one', async () => {
    const key = randomUUID();
    assertProblem(await alice.post('/v1/webhooks', { url: 'not a url', events: ['message.created'] }, keyed(key)), 400);
    const fixed = await alice.post('/v1/webhooks', { url: 'http://127.0.0.1:9/fixed', events: ['message.created'] }, keyed(key));
    assert.equal(fixed.status, 201, JSON.stringify(fixed.body));
  });

  it('refuses a key that is empty, too long or not visible ASCII, naming the header', async () => {
    for (const bad of ['', 'x'.repeat(256), 'two words', 'café']) {
      const response = await alice.post('/v1/webhooks', { url: 'http://127.0.0.1:9/bad', events: ['message.created'] }, keyed(bad));
      assertProblem(response, 400, 'VALIDATION_FAILED');
      assert.ok(response.body.field_errors['idempotency-key'], JSON.stringify(response.body));
    }
    assert.equal((await alice.post('/v1/webhooks', { url: 'http://127.0.0.1:9/ok', events: ['message.created'] }, keyed('x'.repeat(255)))).status, 201);
  });

  it('answers concurrent retries of one key with one creation', async () => {
    const key = randomUUID();
    const body = { type: 'group', members: [alice.userId, bob.userId, carol.userId], metadata: { name: 'race' } };
    const responses = await Promise.all(Array.from({ length: 8 }, () => alice.post('/v1/conversations', body, keyed(key))));
    const created = responses.filter((response) => response.status === 201);
    for (const response of responses) {
      if (response.status !== 201) assertProblem(response, 409, 'IDEMPOTENCY_REQUEST_IN_PROGRESS');
    }
    assert.equal(new Set(created.map((response) => response.body.conversation_id)).size, 1);
    assert.equal(created.filter((response) => response.headers.get('idempotent-replay') === null).length, 1);
  });

  describe('private conversations: get-or-create', () => {
    it('answers a second create with the same conversation, 200, in either order and from the other member', async () => {
      const [dave, erin] = await Promise.all([newUser(), newUser()]);
      const first = await dave.post('/v1/conversations', { type: 'private', members: [dave.userId, erin.userId], metadata: { name: 'first' } });
      assert.equal(first.status, 201, JSON.stringify(first.body));
      const attempts = [
        await dave.post('/v1/conversations', { type: 'private', members: [dave.userId, erin.userId] }),
        await dave.post('/v1/conversations', { type: 'private', members: [erin.userId, dave.userId] }),
        await erin.post('/v1/conversations', { type: 'private', members: [erin.userId, dave.userId], metadata: { name: 'second' } }),
      ];
      for (const again of attempts) {
        assert.equal(again.status, 200, JSON.stringify(again.body));
        assert.equal(again.body.conversation_id, first.body.conversation_id);
        assert.deepEqual(again.body.metadata, { name: 'first' }, 'a later create does not change the metadata');
      }
    });

    it('gives 10 concurrent creates for one pair one conversation', async () => {
      const [frank, grace] = await Promise.all([newUser(), newUser()]);
      const responses = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          (i % 2 ? frank : grace).post('/v1/conversations', { type: 'private', members: i % 3 ? [frank.userId, grace.userId] : [grace.userId, frank.userId] }),
        ),
      );
      for (const response of responses) assert.ok(response.status === 200 || response.status === 201, JSON.stringify(response.body));
      assert.equal(responses.filter((response) => response.status === 201).length, 1);
      assert.equal(new Set(responses.map((response) => response.body.conversation_id)).size, 1);
      const listed = (await frank.get('/v1/conversations?limit=100')).body.conversations;
      assert.equal(listed.filter((c: { members: string[] }) => c.members.includes(grace.userId)).length, 1);
    });

    it('still creates a group conversation each time', async () => {
      const body = { type: 'group', members: [alice.userId, bob.userId, carol.userId] };
      const one = await alice.post('/v1/conversations', body);
      const two = await alice.post('/v1/conversations', body);
      assert.equal(one.status, 201);
      assert.equal(two.status, 201);
      assert.notEqual(one.body.conversation_id, two.body.conversation_id);
    });
  });
});
