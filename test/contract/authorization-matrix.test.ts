import assert from 'node:assert/strict';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ApiClient, type Session } from '../support/api-client.ts';
import { TestFile, Uploader } from '../support/file-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { describeOperation, fillPath, operationsOf, type Operation } from '../support/openapi-operations.ts';
import { runCli } from '../support/run-cli.ts';
import { testModes } from '../support/test-modes.ts';

/**
 * Every operation of /openapi.json × every kind of caller. The bearer checks (anonymous, wrong, expired, revoked
 * token) apply to each operation that names the bearer scheme, new ones included; who else may call an operation is
 * a row of RULES below, and an operation without a row fails the suite until someone decides.
 */
type Caller = 'owner' | 'member' | 'nonMember' | 'admin';

/** ok: 2xx/3xx. denied: 403 or 404. scope: 403 INSUFFICIENT_SCOPE. handled: past authorization (not 401/403). */
type Outcome = 'ok' | 'denied' | 'scope' | 'handled';

interface Call {
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Fixtures {
  conversationId: string;
  messageId: string;
  webhookId: string;
  /** Uploaded and completed by the owner, sent in the conversation. */
  sentFileId: string;
  /** Initiated by the owner, no chunk yet. */
  openFileId: string;
  owner: Session;
  /** The owner, the member and the non-member: a group of the three has each caller in it. */
  userIds: string[];
}

interface Rule {
  /** The request `caller` makes; may set up what it needs first (a fresh webhook to delete). */
  call(fixtures: Fixtures, caller: Caller): Promise<Call> | Call;
  expect: Record<Caller, Outcome>;
  /** For lists: an item of the owner's that these callers must not see in a 2xx answer. */
  hides?: { from: Caller[]; item: (fixtures: Fixtures) => string };
}

const SELF: Record<Caller, Outcome> = { owner: 'ok', member: 'ok', nonMember: 'ok', admin: 'scope' };
const SELF_HANDLED: Record<Caller, Outcome> = { owner: 'handled', member: 'handled', nonMember: 'handled', admin: 'scope' };
const MEMBERS: Record<Caller, Outcome> = { owner: 'ok', member: 'ok', nonMember: 'denied', admin: 'scope' };
const OWNER: Record<Caller, Outcome> = { owner: 'ok', member: 'denied', nonMember: 'denied', admin: 'scope' };
const ADMIN: Record<Caller, Outcome> = { owner: 'scope', member: 'scope', nonMember: 'scope', admin: 'ok' };

const fixed = (path: string, body?: unknown) => () => ({ path, ...(body === undefined ? {} : { body }) });
const address = () => `+55119${String(Math.floor(Math.random() * 1e8)).padStart(8, '0')}`;

const RULES: Record<string, Rule> = {
  'POST /auth/logout': { call: fixed('/auth/logout'), expect: { owner: 'ok', member: 'ok', nonMember: 'ok', admin: 'ok' } },
  'GET /v1/users/me': { call: fixed('/v1/users/me'), expect: SELF },
  'GET /v1/users': { call: fixed('/v1/users?limit=5'), expect: SELF },
  'POST /v1/users/me/identities': { call: () => ({ path: '/v1/users/me/identities', body: { channel: 'whatsapp', address: address() } }), expect: SELF },
  'GET /v1/users/me/identities': { call: fixed('/v1/users/me/identities'), expect: SELF },
  'POST /v1/users/me/identities/{channel}/verify': { call: fixed('/v1/users/me/identities/whatsapp/verify', { code: '000000' }), expect: SELF_HANDLED },
  'DELETE /v1/users/me/identities/{channel}': { call: fixed('/v1/users/me/identities/instagram'), expect: SELF_HANDLED },
  'POST /v1/conversations': {
    call: (f, caller) => ({ path: '/v1/conversations', body: { type: 'group', members: f.userIds, metadata: { name: caller } } }),
    expect: SELF,
  },
  'GET /v1/conversations': { call: fixed('/v1/conversations?limit=100'), expect: SELF, hides: { from: ['nonMember'], item: (f) => f.conversationId } },
  'GET /v1/conversations/{id}': { call: (f) => ({ path: `/v1/conversations/${f.conversationId}` }), expect: MEMBERS },
  'POST /v1/conversations/{id}/read': { call: (f) => ({ path: `/v1/conversations/${f.conversationId}/read`, body: { up_to_seq: 1 } }), expect: MEMBERS },
  'POST /v1/messages': {
    call: (f) => ({ path: '/v1/messages', body: { message_id: randomUUID(), conversation_id: f.conversationId, from: '${self}', channels: ['whatsapp'], payload: { type: 'text', text: 'hi' } } }),
    expect: MEMBERS,
  },
  'GET /v1/conversations/{id}/messages': { call: (f) => ({ path: `/v1/conversations/${f.conversationId}/messages` }), expect: MEMBERS },
  'GET /v1/messages/{id}': { call: (f) => ({ path: `/v1/messages/${f.messageId}` }), expect: MEMBERS },
  'POST /v1/webhooks': { call: fixed('/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['message.created'] }), expect: SELF },
  'GET /v1/webhooks': { call: fixed('/v1/webhooks'), expect: SELF, hides: { from: ['member', 'nonMember'], item: (f) => f.webhookId } },
  'GET /v1/webhooks/{id}': { call: (f) => ({ path: `/v1/webhooks/${f.webhookId}` }), expect: OWNER },
  'DELETE /v1/webhooks/{id}': {
    // Its own webhook each time: the owner's call deletes it.
    call: async (f) => ({ path: `/v1/webhooks/${await ownerWebhook(f)}` }),
    expect: OWNER,
  },
  'GET /v1/webhooks/{id}/dead-letters': { call: (f) => ({ path: `/v1/webhooks/${f.webhookId}/dead-letters` }), expect: OWNER },
  'POST /v1/webhooks/{id}/dead-letters/replay': { call: (f) => ({ path: `/v1/webhooks/${f.webhookId}/dead-letters/replay`, body: {} }), expect: OWNER },
  'POST /v1/files/initiate': { call: fixed('/v1/files/initiate', { filename: 'a.bin', file_size: 10 }), expect: SELF },
  'PATCH /v1/files/upload': { call: (f) => ({ path: `/v1/files/upload?file_id=${f.openFileId}&chunk_id=0`, body: {} }), expect: OWNER },
  'GET /v1/files/{file_id}': { call: (f) => ({ path: `/v1/files/${f.openFileId}` }), expect: OWNER },
  'POST /v1/files/complete': {
    // Past authorization the owner's answer is that no chunk arrived yet: handled, not refused.
    call: (f) => ({ path: '/v1/files/complete', body: { file_id: f.openFileId, checksum: '0'.repeat(64) } }),
    expect: { owner: 'handled', member: 'denied', nonMember: 'denied', admin: 'scope' },
  },
  'GET /v1/files/{file_id}/download': { call: (f) => ({ path: `/v1/files/${f.sentFileId}/download` }), expect: MEMBERS },
  'POST /v1/admin/users': { call: () => ({ path: '/v1/admin/users', body: { username: `m${randomBytes(6).toString('hex')}`, password: 'password123' } }), expect: ADMIN },
  'GET /v1/admin/users': { call: fixed('/v1/admin/users'), expect: ADMIN },
  'POST /v1/admin/users/{id}/disable': { call: async (f) => ({ path: `/v1/admin/users/${await throwawayUser(f)}/disable` }), expect: ADMIN },
  'POST /v1/admin/users/{id}/enable': { call: async (f) => ({ path: `/v1/admin/users/${await throwawayUser(f)}/enable` }), expect: ADMIN },
};

/** Operations outside bearer tokens, and what authorizes them instead. */
const NOT_BEARER: Record<string, string> = {
  'GET /': 'public: an index of the API',
  'GET /health': 'public',
  'GET /ready': 'public',
  'POST /auth/token': 'credentials in the body',
  'POST /auth/refresh': 'a refresh token in the body',
  'POST /auth/revoke': 'the token to revoke, in the body (RFC 7009)',
  'POST /v1/channels/{channel}/webhook': 'the channel signature',
  'PUT /uploads/{file_id}/chunks/{chunk_id}': 'the presigned URL signature',
};

let adminToken: () => Promise<string>;
let freshAdminToken: () => Promise<string>;

async function ownerWebhook(f: Fixtures): Promise<string> {
  const created = await f.owner.post('/v1/webhooks', { url: 'http://127.0.0.1:9/other', events: ['message.created'] });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body.webhook_id;
}

async function throwawayUser(f: Fixtures): Promise<string> {
  const token = await adminToken();
  const created = await f.owner.client.request('POST', '/v1/admin/users', { token, body: { username: `t${randomBytes(6).toString('hex')}`, password: 'password123' } });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body.user_id;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/** `token` with its expiry moved into the past, signed again with the hub's secret: a real token, expired. */
function expiredCopy(token: string, secret: string): string {
  const [header, body] = token.split('.');
  const claims = JSON.parse(Buffer.from(body!, 'base64url').toString('utf8'));
  const now = Math.floor(Date.now() / 1000);
  const signed = `${header}.${b64({ ...claims, iat: now - 7200, exp: now - 3600 })}`;
  return `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}`;
}

/** `token` signed with a key the hub never had. */
function forgedCopy(token: string): string {
  const [header, body] = token.split('.');
  return `${header}.${body}.${createHmac('sha256', randomBytes(32)).update(`${header}.${body}`).digest('base64url')}`;
}

for (const mode of testModes) describe(`authorization matrix: every operation × every caller [${mode}]`, () => {
  const secret = randomBytes(48).toString('base64');
  let dataDir: string;
  let hub: HubProcess;
  let client: ApiClient;
  let operations: Operation[];
  let fixtures: Fixtures;
  const sessions = {} as Record<Exclude<Caller, 'admin'>, Session>;
  let badTokens: { wrong: string; expired: string; revoked: string };

  before(async () => {
    dataDir = await HubProcess.freshDataDir(mode, 'chat4all-matrix-');
    const added = await runCli(dataDir, mode, ['client', 'add', 'matrix admin', '--scopes', 'admin']);
    assert.equal(added.code, 0, added.stderr);
    const clientId = /client_id:\s+(\S+)/.exec(added.stdout)![1]!;
    const clientSecret = /client_secret:\s+(\S+)/.exec(added.stdout)![1]!;
    hub = await HubProcess.start({ mode, dataDir, env: { CHAT4ALL_TOKEN_SECRET: secret, CHAT4ALL_WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true', CHAT4ALL_CHANNEL_SECRETS: `whatsapp=${randomBytes(16).toString('hex')}` } });
    client = new ApiClient(hub.url);
    freshAdminToken = async () => {
      const granted = await client.request('POST', '/auth/token', { body: { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret } });
      assert.equal(granted.status, 200, JSON.stringify(granted.body));
      return granted.body.access_token;
    };
    // One grant for the whole suite: grants are rate limited per client like sign-ins per username.
    const shared = await freshAdminToken();
    adminToken = async () => shared;
    [sessions.owner, sessions.member, sessions.nonMember] = await Promise.all([client.login('user1'), client.login('user2'), client.login('user3')]);
    const owner = sessions.owner;
    const conversationId = await owner.createConversation('private', [owner.userId, sessions.member.userId]);
    const message = owner.textMessage(conversationId);
    assert.equal((await owner.post('/v1/messages', message)).status, 200);
    const uploader = new Uploader(owner);
    const sentFileId = await uploader.uploaded(new TestFile(`matrix-${mode}`, 1000));
    const fileMessage = owner.textMessage(conversationId, { payload: { type: 'file', file_id: sentFileId } });
    assert.equal((await owner.post('/v1/messages', fileMessage)).status, 200);
    const { fileId: openFileId } = await uploader.initiate(new TestFile(`matrix-open-${mode}`, 1000));
    const userIds = [owner.userId, sessions.member.userId, sessions.nonMember.userId];
    const partial = { conversationId, messageId: String(message.message_id), webhookId: '', sentFileId, openFileId, owner, userIds };
    fixtures = { ...partial, webhookId: await ownerWebhook(partial) };
    const doomed = await client.login('user4');
    assert.equal((await client.request('POST', '/auth/logout', { token: doomed.token })).status, 204);
    badTokens = { wrong: forgedCopy(owner.token), expired: expiredCopy(owner.token, secret), revoked: doomed.token };
    operations = await operationsOf(hub.url);
  });
  after(async () => {
    await hub?.stop();
    await HubProcess.removeState(dataDir, mode);
  });

  const send = async (method: string, call: Call, token: string | undefined, self: string) => {
    const headers: Record<string, string> = { ...call.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    const body = call.body === undefined ? undefined : JSON.stringify(call.body).replaceAll('${self}', self);
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await fetch(new URL(call.path, hub.url), { method, headers, body, redirect: 'manual' });
    const text = await response.text();
    return { status: response.status, text, json: text && (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : undefined };
  };

  it('every operation the document lists has a row: a bearer rule or a reason it needs no token', () => {
    const missing = operations
      .map(describeOperation)
      .filter((name) => !(name in RULES) && !(name in NOT_BEARER));
    assert.deepEqual(missing, [], 'decide who may call these operations and add them to RULES or NOT_BEARER');
    for (const operation of operations) {
      const name = describeOperation(operation);
      assert.equal(operation.security.includes('bearer'), name in RULES, `${name}: the document's security and this matrix disagree`);
    }
  });

  for (const [kind, code] of [
    ['anonymous', 'TOKEN_MISSING'],
    ['wrong', 'TOKEN_INVALID'],
    ['expired', 'TOKEN_EXPIRED'],
    ['revoked', 'TOKEN_REVOKED'],
  ] as const) {
    it(`every bearer operation refuses the ${kind} caller with 401 ${code}`, async () => {
      for (const operation of operations.filter((o) => o.security.includes('bearer'))) {
        const path = fillPath(operation.path, { id: randomUUID(), file_id: randomUUID(), channel: 'whatsapp' });
        const token = kind === 'anonymous' ? undefined : badTokens[kind];
        const answer = await send(operation.method, { path, ...(operation.method === 'GET' || operation.method === 'DELETE' ? {} : { body: {} }) }, token, '');
        assert.equal(answer.status, 401, `${describeOperation(operation)} as ${kind}: ${answer.text}`);
        assert.equal(answer.json?.error_code, code, `${describeOperation(operation)} as ${kind}: ${answer.text}`);
      }
    });
  }

  for (const caller of ['owner', 'member', 'nonMember', 'admin'] as const) {
    it(`every bearer operation answers the ${caller} as its rule says`, async () => {
      for (const operation of operations.filter((o) => o.security.includes('bearer'))) {
        const name = describeOperation(operation);
        const rule = RULES[name]!;
        // Logging out ends the session the caller's token belongs to: a session of its own, not the shared one.
        const fresh = name === 'POST /auth/logout';
        const token =
          caller === 'admin'
            ? await (fresh ? freshAdminToken() : adminToken())
            : fresh
              ? (await client.login(sessions[caller].username)).token
              : sessions[caller].token;
        const self = caller === 'admin' ? '' : sessions[caller].userId;
        const answer = await send(operation.method, await rule.call(fixtures, caller), token, self);
        const what = `${name} as ${caller}: ${answer.status} ${answer.text.slice(0, 300)}`;
        const expected = rule.expect[caller];
        if (expected === 'ok') assert.ok(answer.status >= 200 && answer.status < 400, what);
        if (expected === 'denied') assert.ok([403, 404].includes(answer.status), what);
        if (expected === 'scope') assert.equal(answer.json?.error_code, 'INSUFFICIENT_SCOPE', what);
        if (expected === 'handled') assert.ok(![401, 403].includes(answer.status) && answer.status < 500, what);
        if (rule.hides?.from.includes(caller)) assert.ok(!answer.text.includes(rule.hides.item(fixtures)), `${what}: shows the owner's item`);
      }
    });
  }

  it('the operations without bearer tokens ignore one: a user token opens no signed or credentialed route', async () => {
    const token = sessions.owner.token;
    const upload = await send('PUT', { path: `/uploads/${fixtures.openFileId}/chunks/0`, headers: { 'content-type': 'application/octet-stream' } }, token, '');
    assert.ok([400, 401, 403].includes(upload.status), `PUT without a signature: ${upload.status} ${upload.text}`);
    const webhook = await send('POST', { path: '/v1/channels/whatsapp/webhook', body: { messages: [] } }, token, '');
    assert.equal(webhook.status, 401, webhook.text);
    assert.equal(webhook.json?.error_code, 'CHANNEL_SIGNATURE_INVALID', webhook.text);
    const login = await send('POST', { path: '/auth/token', body: {} }, token, '');
    assert.equal(login.status, 400, login.text);
  });
});
