import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient, waitFor, type ApiResponse } from '../support/api-client.ts';
import { assertProblem, UUID } from '../support/assertions.ts';
import { EventSocket } from '../support/event-socket.ts';
import { HubProcess } from '../support/hub-process.ts';
import { runCli } from '../support/run-cli.ts';
import { testModes } from '../support/test-modes.ts';

/** What a sign-in answered: its access and refresh tokens. */
interface Tokens {
  access: string;
  refresh: string;
}

const form = (fields: Record<string, string>) => ({
  rawBody: new URLSearchParams(fields).toString(),
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
});

for (const mode of testModes) describe(`sessions: refresh tokens, revocation, logout [${mode}]`, () => {
  let hub: HubProcess;
  let client: ApiClient;

  before(async () => {
    hub = await HubProcess.start({ mode });
    client = new ApiClient(hub.url);
  });
  after(() => hub.stop());

  const signIn = async (username = 'user1'): Promise<Tokens> => {
    const response = await client.request('POST', '/auth/token', { body: { username, password: 'password123' } });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return { access: response.body.access_token, refresh: response.body.refresh_token };
  };
  const refresh = (refreshToken: string) => client.request('POST', '/auth/refresh', { body: { refresh_token: refreshToken } });
  const me = (token: string) => client.request('GET', '/v1/users/me', { token });
  const refreshed = (response: ApiResponse): Tokens => {
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return { access: response.body.access_token, refresh: response.body.refresh_token };
  };

  it('answers a password sign-in with the seed\'s fields plus a refresh token, its lifetime and the chat scope', async () => {
    const response = await client.request('POST', '/auth/token', { body: { username: 'user1', password: 'password123' } });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const body = response.body;
    for (const field of ['access_token', 'token', 'token_type', 'expires_in', 'expires_at', 'user_id', 'username']) assert.ok(field in body, field);
    assert.equal(body.token, body.access_token);
    assert.equal(body.token_type, 'bearer');
    assert.match(body.user_id, UUID);
    assert.equal(body.scope, 'chat');
    assert.match(body.refresh_token, /^c4r_[A-Za-z0-9_-]{43}$/);
    assert.equal(body.refresh_expires_in, 30 * 24 * 3600);
    assert.ok(Date.parse(body.refresh_expires_at) > Date.now() + 29 * 24 * 3600_000);
  });

  it('rotates on refresh: a new access token that works, a new refresh token, and the old refresh token then fails', async () => {
    const first = await signIn();
    const second = refreshed(await refresh(first.refresh));
    assert.notEqual(second.refresh, first.refresh);
    const who = await me(second.access);
    assert.equal(who.status, 200, JSON.stringify(who.body));
    assert.equal(who.body.username, 'user1');
    assertProblem(await refresh(first.refresh), 400, 'REFRESH_TOKEN_INVALID');
  });

  it('ends the whole family when a spent refresh token is used again: the newest access and refresh tokens stop working', async () => {
    const first = await signIn();
    const second = refreshed(await refresh(first.refresh));
    const third = refreshed(await refresh(second.refresh));
    assert.equal((await me(third.access)).status, 200);
    assertProblem(await refresh(first.refresh), 400, 'REFRESH_TOKEN_INVALID');
    assertProblem(await me(third.access), 401, 'TOKEN_REVOKED');
    assertProblem(await me(second.access), 401, 'TOKEN_REVOKED');
    assertProblem(await refresh(third.refresh), 400, 'REFRESH_TOKEN_INVALID');
  });

  it('takes two refreshes with one token at once one after the other: the second is a reuse, and the family ends', async () => {
    const session = await signIn();
    const answers = await Promise.all([refresh(session.refresh), refresh(session.refresh)]);
    const statuses = answers.map((answer) => answer.status).sort();
    assert.deepEqual(statuses, [200, 400], JSON.stringify(answers.map((answer) => answer.body)));
    const winner = refreshed(answers.find((answer) => answer.status === 200)!);
    assertProblem(await me(winner.access), 401, 'TOKEN_REVOKED');
    assertProblem(await refresh(winner.refresh), 400, 'REFRESH_TOKEN_INVALID');
  });

  it('leaves the user\'s other sessions alone when one family is ended', async () => {
    const other = await signIn();
    const victim = await signIn();
    refreshed(await refresh(victim.refresh));
    await refresh(victim.refresh);
    assert.equal((await me(other.access)).status, 200);
    refreshed(await refresh(other.refresh));
  });

  it('takes grant_type=refresh_token at POST /auth/token, as JSON and as an OAuth form', async () => {
    const first = await signIn();
    const second = refreshed(await client.request('POST', '/auth/token', { body: { grant_type: 'refresh_token', refresh_token: first.refresh } }));
    const third = refreshed(await client.request('POST', '/auth/token', form({ grant_type: 'refresh_token', refresh_token: second.refresh })));
    assert.equal((await me(third.access)).status, 200);
  });

  it('refuses an unknown refresh token with 400 REFRESH_TOKEN_INVALID, and a missing one with 400 naming refresh_token', async () => {
    assertProblem(await refresh('c4r_not-a-token-the-hub-made'), 400, 'REFRESH_TOKEN_INVALID');
    const missing = await client.request('POST', '/auth/token', { body: { grant_type: 'refresh_token' } });
    assertProblem(missing, 400, 'VALIDATION_FAILED');
    assert.ok(missing.body.field_errors.refresh_token, JSON.stringify(missing.body));
  });

  it('revokes an access token (RFC 7009): 200, then the token and its session\'s refresh token are refused', async () => {
    const session = await signIn();
    const response = await client.request('POST', '/auth/revoke', { body: { token: session.access, token_type_hint: 'access_token' } });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assertProblem(await me(session.access), 401, 'TOKEN_REVOKED');
    assertProblem(await refresh(session.refresh), 400, 'REFRESH_TOKEN_INVALID');
  });

  it('revokes a refresh token sent as a form: its session\'s access token is refused at once', async () => {
    const session = await signIn();
    const response = await client.request('POST', '/auth/revoke', form({ token: session.refresh, token_type_hint: 'refresh_token' }));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assertProblem(await me(session.access), 401, 'TOKEN_REVOKED');
    assertProblem(await refresh(session.refresh), 400, 'REFRESH_TOKEN_INVALID');
  });

  it('answers 200 to the revocation of a token it does not know, and of one already revoked', async () => {
    assert.equal((await client.request('POST', '/auth/revoke', { body: { token: 'whatever' } })).status, 200);
    const session = await signIn();
    for (let i = 0; i < 2; i++) assert.equal((await client.request('POST', '/auth/revoke', { body: { token: session.refresh } })).status, 200);
  });

  it('signs out on POST /auth/logout (204): the token is refused, its refresh token dead, other sessions unaffected', async () => {
    const staying = await signIn();
    const leaving = await signIn();
    const response = await client.request('POST', '/auth/logout', { token: leaving.access });
    assert.equal(response.status, 204);
    assertProblem(await me(leaving.access), 401, 'TOKEN_REVOKED');
    assertProblem(await refresh(leaving.refresh), 400, 'REFRESH_TOKEN_INVALID');
    assert.equal((await me(staying.access)).status, 200);
    assertProblem(await client.request('POST', '/auth/logout'), 401, 'TOKEN_MISSING');
  });

  it('closes the WebSocket of a session that signs out with 4003, and refuses to open another on its token', async () => {
    const session = await signIn('user2');
    const socket = await EventSocket.open(hub.url, session.access);
    assert.equal((await client.request('POST', '/auth/logout', { token: session.access })).status, 204);
    const closed = await socket.waitForClose(5_000);
    assert.equal(closed.code, 4003);
    await assert.rejects(EventSocket.open(hub.url, session.access));
  });

  describe('across API processes on one database', { skip: mode === 'embedded' && 'an embedded database belongs to one process' }, () => {
    /** How long another process may take to refuse what one revoked: a few of its CHAT4ALL_REVOCATION_POLL_MS (1 s). */
    const BOUND_MS = 5_000;
    let dataDir: string;
    let one: HubProcess;
    let two: HubProcess;

    before(async () => {
      dataDir = await HubProcess.freshDataDir(mode, 'chat4all-revocation-');
      // One after the other: each seeds the demo users.
      one = await HubProcess.start({ mode, dataDir, args: ['api'] });
      two = await HubProcess.start({ mode, dataDir, args: ['api'] });
    });
    after(async () => {
      await one?.stop();
      await two?.stop();
      await HubProcess.removeState(dataDir, mode);
    });

    /** Waits (bounded) until `token` is refused by the API at `url` with 401 TOKEN_REVOKED; answers how long that took. */
    const refusedBy = async (url: string, token: string, since: number): Promise<number> => {
      const response = await waitFor(
        async () => {
          const answer = await new ApiClient(url).request('GET', '/v1/users/me', { token });
          return answer.status !== 200 && answer;
        },
        { timeoutMs: BOUND_MS, intervalMs: 50, what: 'the other API process to refuse the token' },
      );
      assertProblem(response, 401, 'TOKEN_REVOKED');
      return Date.now() - since;
    };

    it('refuses, within a few seconds, a session signed out through the other process', async () => {
      const session = await new ApiClient(one.url).login('user1');
      assert.equal((await new ApiClient(two.url).request('GET', '/v1/users/me', { token: session.token })).status, 200);
      const at = Date.now();
      assert.equal((await new ApiClient(one.url).request('POST', '/auth/logout', { token: session.token })).status, 204);
      assertProblem(await new ApiClient(one.url).request('GET', '/v1/users/me', { token: session.token }), 401, 'TOKEN_REVOKED');
      const took = await refusedBy(two.url, session.token, at);
      assert.ok(took < BOUND_MS, `refused after ${took} ms`);
    });

    it('ends a refresh family on both processes when a spent token is reused at one of them', async () => {
      const first = await new ApiClient(one.url).request('POST', '/auth/token', { body: { username: 'user2', password: 'password123' } });
      const second = await new ApiClient(two.url).request('POST', '/auth/refresh', { body: { refresh_token: first.body.refresh_token } });
      assert.equal(second.status, 200, JSON.stringify(second.body));
      const at = Date.now();
      assertProblem(await new ApiClient(one.url).request('POST', '/auth/refresh', { body: { refresh_token: first.body.refresh_token } }), 400, 'REFRESH_TOKEN_INVALID');
      await refusedBy(two.url, second.body.access_token, at);
    });

    it('refuses on both processes, and closes the WebSocket of, a user disabled with the CLI from a third process', async () => {
      const session = await new ApiClient(two.url).login('user3');
      const socket = await EventSocket.open(two.url, session.token);
      const disabled = await runCli(dataDir, mode, ['user', 'disable', 'user3']);
      assert.equal(disabled.code, 0, disabled.stderr);
      const at = Date.now();
      await refusedBy(one.url, session.token, at);
      await refusedBy(two.url, session.token, at);
      assert.equal((await socket.waitForClose(BOUND_MS)).code, 4003);
      assertProblem(await new ApiClient(one.url).request('POST', '/auth/token', { body: { username: 'user3', password: 'password123' } }), 401, 'INVALID_CREDENTIALS');
    });

    it('refuses on both processes the tokens of a client disabled with the CLI', async () => {
      const added = await runCli(dataDir, mode, ['client', 'add', 'ops', '--scopes', 'admin']);
      assert.equal(added.code, 0, added.stderr);
      const [, id, secret] = /client_id:\s+(\S+)[\s\S]*client_secret:\s+(\S+)/.exec(added.stdout) ?? [];
      const granted = await new ApiClient(one.url).request('POST', '/auth/token', { body: { grant_type: 'client_credentials', client_id: id, client_secret: secret } });
      const token = granted.body.access_token;
      assert.equal((await new ApiClient(two.url).request('GET', '/v1/admin/users', { token })).status, 200);
      assert.equal((await runCli(dataDir, mode, ['client', 'disable', id!])).code, 0);
      // From the CLI's exit: starting a CLI process is not the propagation being bounded.
      const at = Date.now();
      const refused = await waitFor(
        async () => {
          const answer = await new ApiClient(two.url).request('GET', '/v1/admin/users', { token });
          return answer.status !== 200 && answer;
        },
        { timeoutMs: BOUND_MS, intervalMs: 50, what: 'the disabled client\'s token to be refused' },
      );
      assertProblem(refused, 401, 'TOKEN_REVOKED');
      assert.ok(Date.now() - at < BOUND_MS);
      const again = await new ApiClient(one.url).request('POST', '/auth/token', { body: { grant_type: 'client_credentials', client_id: id, client_secret: secret } });
      assertProblem(again, 401, 'CLIENT_CREDENTIALS_INVALID');
    });
  });
});
