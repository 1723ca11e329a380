import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient, type ApiResponse } from '../support/api-client.ts';
import { assertProblem, UUID } from '../support/assertions.ts';
import { EventSocket } from '../support/event-socket.ts';
import { HubProcess } from '../support/hub-process.ts';
import { runCli } from '../support/run-cli.ts';
import { testModes } from '../support/test-modes.ts';

interface ClientCredentials {
  id: string;
  secret: string;
}

/** `chat4all client add …` on the state in `dataDir`: the id and secret it printed, once. */
async function addClient(dataDir: string, mode: Parameters<typeof runCli>[1], args: string[]): Promise<ClientCredentials> {
  const result = await runCli(dataDir, mode, ['client', 'add', ...args]);
  assert.equal(result.code, 0, result.stderr);
  const id = /client_id:\s+(\S+)/.exec(result.stdout)?.[1];
  const secret = /client_secret:\s+(\S+)/.exec(result.stdout)?.[1];
  assert.ok(id && secret, result.stdout);
  return { id, secret };
}

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

for (const mode of testModes) describe(`client credentials and the admin API [${mode}]`, () => {
  let dataDir: string;
  let hub: HubProcess;
  let client: ApiClient;
  let adminTool: ClientCredentials;
  let backend: ClientCredentials;
  /** `chat4all client list` before the hub starts (an embedded hub then holds the data directory). */
  let listed: string;

  before(async () => {
    dataDir = await HubProcess.freshDataDir(mode, 'chat4all-clients-');
    const added = await runCli(dataDir, mode, ['user', 'add', 'svc', '--password', 'svc-secret-1']);
    assert.equal(added.code, 0, added.stderr);
    adminTool = await addClient(dataDir, mode, ['admin tool', '--scopes', 'admin']);
    backend = await addClient(dataDir, mode, ['backend', '--scopes', 'chat', '--user', 'svc']);
    const list = await runCli(dataDir, mode, ['client', 'list']);
    assert.equal(list.code, 0, list.stderr);
    listed = list.stdout;
    hub = await HubProcess.start({ mode, dataDir });
    client = new ApiClient(hub.url);
  });
  after(async () => {
    await hub?.stop();
    await HubProcess.removeState(dataDir, mode);
  });

  const grant = (body: Record<string, string>, headers?: Record<string, string>) =>
    client.request('POST', '/auth/token', { body: { grant_type: 'client_credentials', ...body }, ...(headers ? { headers } : {}) });
  const tokenOf = async (credentials: ClientCredentials, scope?: string): Promise<string> => {
    const response = await grant({ client_id: credentials.id, client_secret: credentials.secret, ...(scope ? { scope } : {}) });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.access_token;
  };
  const asAdmin = async () => {
    const token = await tokenOf(adminTool);
    return {
      get: (path: string) => client.request('GET', path, { token }),
      post: (path: string, body?: unknown) => client.request('POST', path, { token, ...(body === undefined ? {} : { body }) }),
    };
  };
  const signIn = (username: string, password: string) => client.request('POST', '/auth/token', { body: { username, password } });
  const tokensOf = (response: ApiResponse) => {
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return { access: response.body.access_token as string, refresh: response.body.refresh_token as string };
  };

  it('printed an id (a UUID) and a secret (c4s_…) once, and lists clients without secrets', async () => {
    assert.match(adminTool.id, UUID);
    assert.match(adminTool.secret, /^c4s_[A-Za-z0-9_-]{43}$/);
    assert.match(listed, new RegExp(`${backend.id}\\s+active\\s+scopes=chat user=svc\\s+backend`));
    assert.match(listed, new RegExp(`${adminTool.id}\\s+active\\s+scopes=admin\\s+admin tool`));
    assert.ok(!listed.includes(backend.secret) && !listed.includes(adminTool.secret));
  });

  it('grants an admin client an admin token with no user and no refresh token (JSON body)', async () => {
    const response = await grant({ client_id: adminTool.id, client_secret: adminTool.secret });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.scope, 'admin');
    assert.equal(response.body.user_id, null);
    assert.equal(response.body.username, null);
    assert.equal(response.body.client_id, adminTool.id);
    assert.equal(response.body.refresh_token, undefined);
    assert.equal(response.body.token_type, 'bearer');
  });

  it('takes the credentials as HTTP Basic with a form body (OAuth 2 clients)', async () => {
    const response = await client.request('POST', '/auth/token', {
      rawBody: 'grant_type=client_credentials&scope=chat',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basic(backend.id, backend.secret) },
    });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.scope, 'chat');
    assert.equal(response.body.username, 'svc');
  });

  it('lets a chat client act as its service user without the user\'s password', async () => {
    const me = await client.request('GET', '/v1/users/me', { token: await tokenOf(backend) });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.username, 'svc');
  });

  it('refuses a wrong secret, an unknown client, and a malformed id with 401 CLIENT_CREDENTIALS_INVALID and a Basic challenge', async () => {
    for (const body of [
      { client_id: adminTool.id, client_secret: `${adminTool.secret}x` },
      { client_id: '00000000-0000-4000-8000-000000000000', client_secret: adminTool.secret },
      { client_id: 'not-a-client', client_secret: adminTool.secret },
    ]) {
      const response = await grant(body);
      assertProblem(response, 401, 'CLIENT_CREDENTIALS_INVALID');
      assert.match(response.headers.get('www-authenticate') ?? '', /^Basic/);
    }
    assertProblem(await grant({}, { authorization: basic(adminTool.id, 'wrong') }), 401, 'CLIENT_CREDENTIALS_INVALID');
    assertProblem(await grant({ client_id: adminTool.id }), 401, 'CLIENT_CREDENTIALS_INVALID');
  });

  it('refuses a scope the client was not given with 400 INVALID_SCOPE', async () => {
    assertProblem(await grant({ client_id: backend.id, client_secret: backend.secret, scope: 'admin' }), 400, 'INVALID_SCOPE');
  });

  it('answers 403 INSUFFICIENT_SCOPE on the admin API to a user\'s token and to a chat client\'s', async () => {
    const user = tokensOf(await signIn('user1', 'password123'));
    for (const token of [user.access, await tokenOf(backend)]) {
      assertProblem(await client.request('GET', '/v1/admin/users', { token }), 403, 'INSUFFICIENT_SCOPE');
      assertProblem(await client.request('POST', '/v1/admin/users', { token, body: { username: 'mallory', password: 'mallory-secret' } }), 403, 'INSUFFICIENT_SCOPE');
    }
  });

  it('answers 403 INSUFFICIENT_SCOPE to an admin token on the chat routes: it acts for no user', async () => {
    const token = await tokenOf(adminTool);
    assertProblem(await client.request('GET', '/v1/users/me', { token }), 403, 'INSUFFICIENT_SCOPE');
    assertProblem(await client.request('GET', '/v1/conversations', { token }), 403, 'INSUFFICIENT_SCOPE');
  });

  it('lets the admin scope create a user (201), who can then sign in; a taken name is 409 and a short password 400', async () => {
    const admin = await asAdmin();
    const created = await admin.post('/v1/admin/users', { username: 'carol', password: 'carol-secret-1' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.match(created.body.user_id, UUID);
    assert.equal(created.body.status, 'active');
    tokensOf(await signIn('carol', 'carol-secret-1'));
    assertProblem(await admin.post('/v1/admin/users', { username: 'carol', password: 'carol-secret-1' }), 409, 'USERNAME_TAKEN');
    assertProblem(await admin.post('/v1/admin/users', { username: 'dave', password: 'short' }), 400, 'VALIDATION_FAILED');
  });

  it('lets the admin scope list users in pages, disabled ones included', async () => {
    const admin = await asAdmin();
    const all = await admin.get('/v1/admin/users?limit=100');
    assert.equal(all.status, 200, JSON.stringify(all.body));
    assert.ok(all.body.users.some((user: { username: string }) => user.username === 'svc'));
    const page = await admin.get('/v1/admin/users?limit=2&offset=1');
    assert.equal(page.body.users.length, 2);
    assert.equal(page.body.total, all.body.total);
    assert.deepEqual(page.body.users, all.body.users.slice(1, 3));
  });

  it('disables a user at once: their access token is refused, their WebSocket closed, refresh refused (403 USER_DISABLED), sign-in refused', async () => {
    const admin = await asAdmin();
    const created = await admin.post('/v1/admin/users', { username: 'erin', password: 'erin-secret-1' });
    const erin = tokensOf(await signIn('erin', 'erin-secret-1'));
    assert.equal((await client.request('GET', '/v1/users/me', { token: erin.access })).status, 200);
    const socket = await EventSocket.open(hub.url, erin.access);

    const disabled = await admin.post(`/v1/admin/users/${created.body.user_id}/disable`);
    assert.equal(disabled.status, 200, JSON.stringify(disabled.body));
    assert.equal(disabled.body.status, 'disabled');

    assertProblem(await client.request('GET', '/v1/users/me', { token: erin.access }), 401, 'TOKEN_REVOKED');
    assert.equal((await socket.waitForClose(5_000)).code, 4003);
    assertProblem(await client.request('POST', '/auth/refresh', { body: { refresh_token: erin.refresh } }), 403, 'USER_DISABLED');
    assertProblem(await signIn('erin', 'erin-secret-1'), 401, 'INVALID_CREDENTIALS');
    const listed = await admin.get('/v1/admin/users?username=erin');
    assert.equal(listed.body.users[0].status, 'disabled');

    const enabled = await admin.post(`/v1/admin/users/${created.body.user_id}/enable`);
    assert.equal(enabled.body.status, 'active');
    const again = tokensOf(await signIn('erin', 'erin-secret-1'));
    assert.equal((await client.request('GET', '/v1/users/me', { token: again.access })).status, 200);
    // The sessions the disable ended stay ended.
    assertProblem(await client.request('POST', '/auth/refresh', { body: { refresh_token: erin.refresh } }), 400, 'REFRESH_TOKEN_INVALID');
  });

  it('disables the service user of a chat client: its tokens are refused and it gets no new ones (403 USER_DISABLED)', async () => {
    const admin = await asAdmin();
    const token = await tokenOf(backend);
    const svc = await admin.get('/v1/admin/users?username=svc');
    assert.equal((await admin.post(`/v1/admin/users/${svc.body.users[0].user_id}/disable`)).status, 200);
    assertProblem(await client.request('GET', '/v1/users/me', { token }), 401, 'TOKEN_REVOKED');
    assertProblem(await grant({ client_id: backend.id, client_secret: backend.secret }), 403, 'USER_DISABLED');
    assert.equal((await admin.post(`/v1/admin/users/${svc.body.users[0].user_id}/enable`)).status, 200);
    assert.equal((await client.request('GET', '/v1/users/me', { token: await tokenOf(backend) })).status, 200);
  });

  it('answers 404 USER_NOT_FOUND for an unknown id and 400 for a malformed one', async () => {
    const admin = await asAdmin();
    assertProblem(await admin.post('/v1/admin/users/00000000-0000-4000-8000-000000000000/disable'), 404, 'USER_NOT_FOUND');
    assertProblem(await admin.post('/v1/admin/users/nope/disable'), 400, 'VALIDATION_FAILED');
  });
});
