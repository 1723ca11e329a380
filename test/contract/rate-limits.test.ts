import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiClient, Session, type ApiResponse } from '../support/api-client.ts';
import { assertProblem } from '../support/assertions.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';

/**
 * Small limits, so each is reached in a few requests. Client addresses come from X-Forwarded-For, believed from the
 * loopback proxy (TRUST_PROXY): each test logs in from addresses of its own and never spends another's budget.
 */
const LIMITS = {
  TRUST_PROXY: 'loopback',
  CHAT4ALL_RATE_LIMIT_LOGIN_ADDRESS: '5/1m',
  CHAT4ALL_RATE_LIMIT_LOGIN_USERNAME: '3/1m',
  CHAT4ALL_RATE_LIMIT_SENDS: '4/1m',
  CHAT4ALL_RATE_LIMIT_UPLOADS: '2/1m',
  CHAT4ALL_RATE_LIMIT_CHUNKS: '3/1m',
  CHAT4ALL_RATE_LIMIT_WEBHOOKS: '2/1h',
};

const login = (client: ApiClient, address: string, username: string, password = 'password123') =>
  client.request('POST', '/auth/token', { body: { username, password }, headers: { 'x-forwarded-for': address } });

async function signIn(client: ApiClient, address: string, username: string): Promise<Session> {
  const response = await login(client, address, username);
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return new Session(client, response.body.access_token, response.body.user_id, username);
}

/** The RateLimit field's item for `name`: what remains and the seconds to reset. */
function limitItem(response: ApiResponse, name: string): { r: number; t: number } {
  const field = response.headers.get('ratelimit') ?? '';
  const match = new RegExp(`"${name}";r=(\\d+);t=(\\d+)`).exec(field);
  assert.ok(match, `RateLimit names "${name}": ${field}`);
  return { r: Number(match[1]), t: Number(match[2]) };
}

/** An allowed request: not refused, with both fields naming the limit, its quota and window, and what remains. */
function assertCounted(response: ApiResponse, name: string, policy: string, remaining: number): void {
  assert.notEqual(response.status, 429, JSON.stringify(response.body));
  assert.ok((response.headers.get('ratelimit-policy') ?? '').includes(`"${name}";${policy}`), `RateLimit-Policy: ${response.headers.get('ratelimit-policy')}`);
  const { r, t } = limitItem(response, name);
  assert.equal(r, remaining, `remaining of "${name}"`);
  assert.ok(t >= 1 && t <= 3600, `t=${t}`);
}

/** A refusal: 429 RATE_LIMITED naming the limit, Retry-After within its window, and the fields saying nothing remains. */
function assertRefused(response: ApiResponse, name: string, windowSeconds: number): void {
  assertProblem(response, 429, 'RATE_LIMITED');
  assert.equal(response.body.rate_limit, name);
  assert.match(response.body.detail, new RegExp(`"${name}"`));
  const retryAfter = Number(response.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= windowSeconds, `Retry-After: ${response.headers.get('retry-after')}`);
  assert.ok(response.headers.get('ratelimit-policy')?.includes(`"${name}"`), 'RateLimit-Policy on the refusal');
  assert.equal(limitItem(response, name).r, 0);
  assert.equal(limitItem(response, name).t, retryAfter, 'Retry-After is when the window ends');
}

for (const mode of testModes) describe(`rate limits [${mode}]`, () => {
  let hub: HubProcess;
  let client: ApiClient;
  let alice: Session;
  let bob: Session;
  let carol: Session;
  let conversationId: string;

  before(async () => {
    hub = await HubProcess.start({ mode, env: LIMITS });
    client = new ApiClient(hub.url);
    [alice, bob, carol] = await Promise.all([
      signIn(client, '192.0.2.1', 'user1'),
      signIn(client, '192.0.2.2', 'user2'),
      signIn(client, '192.0.2.3', 'user3'),
    ]);
    conversationId = await alice.createConversation('group', [alice.userId, bob.userId, carol.userId]);
  });
  after(() => hub?.stop());

  describe('POST /auth/token', () => {
    it('counts every attempt for a username, right or wrong, and refuses the next from any address with 429', async () => {
      for (const remaining of [2, 1, 0]) {
        const response = await login(client, '198.51.100.10', 'user5', 'wrong-password');
        assertProblem(response, 401, 'INVALID_CREDENTIALS');
        assertCounted(response, 'login-username', 'q=3;w=60', remaining);
      }
      const refused = await login(client, '198.51.100.11', 'user5');
      assertRefused(refused, 'login-username', 60);
      assert.equal(refused.body.quota, 3);
      assert.equal(refused.body.window_seconds, 60);
    });

    it('lets another username in while one is refused', async () => {
      const response = await login(client, '198.51.100.12', 'user4');
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assertCounted(response, 'login-username', 'q=3;w=60', 2);
      assertCounted(response, 'login-address', 'q=5;w=60', 4);
    });

    it('counts attempts per client address, and refuses the next from it whatever the username', async () => {
      for (const [index, remaining] of [4, 3, 2, 1, 0].entries()) {
        const response = await login(client, '203.0.113.7', `nobody${index}`, 'wrong-password');
        assertProblem(response, 401, 'INVALID_CREDENTIALS');
        assertCounted(response, 'login-address', 'q=5;w=60', remaining);
      }
      assertRefused(await login(client, '203.0.113.7', 'user3'), 'login-address', 60);
      const elsewhere = await login(client, '203.0.113.8', 'user3');
      assert.equal(elsewhere.status, 200, 'the same user from another address');
    });

    it('counts nothing for a body that is not a login', async () => {
      const response = await client.request('POST', '/auth/token', { body: { username: 'user1' }, headers: { 'x-forwarded-for': '203.0.113.9' } });
      assertProblem(response, 400, 'VALIDATION_FAILED');
      assert.equal(response.headers.get('ratelimit'), null);
    });
  });

  describe('POST /v1/messages', () => {
    let refused: ApiResponse;
    let refusedId: string;

    before(async () => {
      for (const remaining of [3, 2, 1, 0]) {
        assertCounted(await alice.post('/v1/messages', alice.textMessage(conversationId)), 'sends', 'q=4;w=60', remaining);
      }
      const body = alice.textMessage(conversationId);
      refusedId = body.message_id as string;
      refused = await alice.post('/v1/messages', body);
    });

    it('refuses a user past the limit with 429, Retry-After and the RateLimit fields', () => {
      assertRefused(refused, 'sends', 60);
    });

    it('stores nothing it refused', async () => {
      assertProblem(await bob.get(`/v1/messages/${refusedId}`), 404);
    });

    it('leaves other users their own count', async () => {
      const response = await bob.post('/v1/messages', bob.textMessage(conversationId));
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assertCounted(response, 'sends', 'q=4;w=60', 3);
    });

    it('puts no RateLimit fields on routes without a limit', async () => {
      const response = await alice.get('/v1/users/me');
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('ratelimit'), null);
      assert.equal(response.headers.get('ratelimit-policy'), null);
    });
  });

  describe('uploads', () => {
    const initiate = (session: Session) => session.post('/v1/files/initiate', { filename: 'a.bin', file_size: 100 });

    it('limits upload starts per user', async () => {
      assertCounted(await initiate(carol), 'uploads', 'q=2;w=60', 1);
      assertCounted(await initiate(carol), 'uploads', 'q=2;w=60', 0);
      assertRefused(await initiate(carol), 'uploads', 60);
      const other = await initiate(bob);
      assert.equal(other.status, 201, JSON.stringify(other.body));
    });

    it('limits chunk requests per user', async () => {
      const started = await initiate(alice);
      assert.equal(started.status, 201, JSON.stringify(started.body));
      const chunkUrl = (session: Session) => session.client.request('PATCH', `/v1/files/upload?file_id=${started.body.file_id}&chunk_id=0`, { token: session.token, body: {} });
      for (const remaining of [2, 1, 0]) {
        const response = await chunkUrl(alice);
        assert.equal(response.status, 200, JSON.stringify(response.body));
        assertCounted(response, 'chunks', 'q=3;w=60', remaining);
      }
      assertRefused(await chunkUrl(alice), 'chunks', 60);
      // Someone else's request for the file is counted as theirs (and refused for other reasons).
      assertCounted(await chunkUrl(bob), 'chunks', 'q=3;w=60', 2);
    });
  });

  describe('POST /v1/webhooks', () => {
    const register = (session: Session, index: number) =>
      session.post('/v1/webhooks', { url: `https://example.com/hooks/${index}`, events: ['message.created'] });

    it('limits registrations per user', async () => {
      // Whatever the hub makes of the URL (it may not resolve here), each attempt counts.
      assertCounted(await register(carol, 1), 'webhooks', 'q=2;w=3600', 1);
      assertCounted(await register(carol, 2), 'webhooks', 'q=2;w=3600', 0);
      assertRefused(await register(carol, 3), 'webhooks', 3600);
      assertCounted(await register(alice, 4), 'webhooks', 'q=2;w=3600', 1);
    });
  });
});

describe('rate limits turned off [embedded]', () => {
  let hub: HubProcess;
  after(() => hub?.stop());

  it('sends no RateLimit fields and refuses nothing with CHAT4ALL_RATE_LIMITS=off', async () => {
    hub = await HubProcess.start({ env: { ...LIMITS, CHAT4ALL_RATE_LIMITS: 'off' } });
    const client = new ApiClient(hub.url);
    for (let i = 0; i < 6; i++) {
      const response = await login(client, '192.0.2.50', 'user1');
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.headers.get('ratelimit'), null);
    }
  });
});

describe('rate limits with their Redis unreachable [embedded]', () => {
  let hub: HubProcess;
  before(async () => {
    // Nothing listens on port 1: the counters cannot be reached from the start.
    hub = await HubProcess.start({ env: { ...LIMITS, REDIS_URL: 'redis://127.0.0.1:1' } });
  });
  after(() => hub?.stop());

  it('lets requests through unchecked (fails open), without the fields, and never answers 5xx', async () => {
    const client = new ApiClient(hub.url);
    for (let i = 0; i < 6; i++) {
      const response = await login(client, '192.0.2.60', 'user2');
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.headers.get('ratelimit'), null);
    }
  });

  it('says so in /ready (degraded) and in the log', async () => {
    const ready = await new ApiClient(hub.url).request('GET', '/ready');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.status, 'degraded');
    assert.equal(ready.body.checks.rate_limits.status, 'failing');
    assert.ok(hub.linesWith('rate limits').length > 0, hub.output.slice(-2_000));
  });
});

const distributed = testModes.includes('distributed');
const skip = !distributed
  ? 'distributed mode is off (CHAT4ALL_TEST_MODES has no "distributed")'
  : !process.env.REDIS_URL && 'REDIS_URL is not set: npm test starts a Redis with scripts/services.sh';

describe('rate limits shared by two API processes [distributed]', { skip }, () => {
  let dataDir: string;
  const apis: HubProcess[] = [];

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'chat4all-limits-'));
    // The first migrates the database; the second finds it done. Both count in the runner's Redis.
    apis.push(await HubProcess.start({ mode: 'distributed', dataDir, args: ['api'], env: LIMITS }));
    apis.push(await HubProcess.start({ mode: 'distributed', dataDir, args: ['api'], env: LIMITS }));
  });
  after(async () => {
    await Promise.all(apis.map((api) => api.kill('SIGTERM')));
    if (dataDir) await HubProcess.removeState(dataDir, 'distributed');
  });

  it('counts a user\'s sends across both, and refuses the one past the limit on either', async () => {
    const [one, two] = apis.map((api) => new ApiClient(api.url)) as [ApiClient, ApiClient];
    const alice = await signIn(one, '192.0.2.70', 'user1');
    const bob = await signIn(two, '192.0.2.71', 'user2');
    const conversationId = await alice.createConversation('private', [alice.userId, bob.userId]);
    const onTwo = new Session(two, alice.token, alice.userId, 'user1');
    const sessions = [alice, onTwo, alice, onTwo];
    for (const [index, remaining] of [3, 2, 1, 0].entries()) {
      const session = sessions[index]!;
      assertCounted(await session.post('/v1/messages', session.textMessage(conversationId)), 'sends', 'q=4;w=60', remaining);
    }
    assertRefused(await onTwo.post('/v1/messages', onTwo.textMessage(conversationId)), 'sends', 60);
    assertRefused(await alice.post('/v1/messages', alice.textMessage(conversationId)), 'sends', 60);
  });

  it('counts a username\'s login attempts across both', async () => {
    const [one, two] = apis.map((api) => new ApiClient(api.url)) as [ApiClient, ApiClient];
    assertCounted(await login(one, '192.0.2.80', 'user5', 'wrong-password'), 'login-username', 'q=3;w=60', 2);
    assertCounted(await login(two, '192.0.2.81', 'user5', 'wrong-password'), 'login-username', 'q=3;w=60', 1);
    assertCounted(await login(one, '192.0.2.82', 'user5', 'wrong-password'), 'login-username', 'q=3;w=60', 0);
    assertRefused(await login(two, '192.0.2.83', 'user5'), 'login-username', 60);
  });
});
