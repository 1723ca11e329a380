import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient, type ApiResponse, type Session } from '../support/api-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { runCli, runCliAtTerminal, terminalAvailable, type CliResult } from '../support/run-cli.ts';
import { testModes, type TestMode } from '../support/test-modes.ts';
import { assertProblem, UUID } from '../support/assertions.ts';

const demoLogin = (client: ApiClient) =>
  client.request('POST', '/auth/token', { body: { username: 'user1', password: 'password123' } });

for (const mode of testModes) describe(`users [${mode}]`, () => {
  let hub: HubProcess;
  let client: ApiClient;
  let alice: Session;
  let bob: Session;

  before(async () => {
    hub = await HubProcess.start({ mode });
    client = new ApiClient(hub.url);
    [alice, bob] = await Promise.all([client.login('user1'), client.login('user2')]);
  });
  after(() => hub.stop());

  describe('GET /v1/users/me', () => {
    it('returns the caller with user_id, username and created_at', async () => {
      const response = await alice.get('/v1/users/me');
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.user_id, alice.userId);
      assert.equal(response.body.username, 'user1');
      assert.ok(!Number.isNaN(Date.parse(response.body.created_at)), `created_at ${response.body.created_at}`);
    });

    it('answers each user with themselves', async () => {
      const response = await bob.get('/v1/users/me');
      assert.equal(response.status, 200);
      assert.equal(response.body.user_id, bob.userId);
      assert.equal(response.body.username, 'user2');
    });

    it('never exposes a password or its hash', async () => {
      const response = await alice.get('/v1/users/me');
      const text = JSON.stringify(response.body).toLowerCase();
      assert.ok(!text.includes('password'), text);
      assert.ok(!text.includes('$2'), 'no bcrypt hash in the body');
    });
  });

  describe('GET /v1/users', () => {
    it('finds user2 by username, exactly, with the user_id it logs in with', async () => {
      const response = await alice.get('/v1/users?username=user2');
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.total, 1);
      assert.equal(response.body.users.length, 1);
      assert.equal(response.body.users[0].username, 'user2');
      assert.equal(response.body.users[0].user_id, bob.userId);
    });

    it('answers an unknown username with an empty list and total 0', async () => {
      const response = await alice.get('/v1/users?username=no-such-user');
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.deepEqual(response.body.users, []);
      assert.equal(response.body.total, 0);
    });

    it('matches the username exactly, not as a prefix', async () => {
      const response = await alice.get('/v1/users?username=user');
      assert.equal(response.status, 200);
      assert.equal(response.body.total, 0);
    });

    it('lists every user without a filter, with total, limit 50 and offset 0 by default', async () => {
      const response = await alice.get('/v1/users');
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.limit, 50);
      assert.equal(response.body.offset, 0);
      assert.ok(response.body.total >= 5, `total ${response.body.total}`);
      const names = response.body.users.map((user: { username: string }) => user.username);
      for (const name of ['user1', 'user2', 'user3', 'user4', 'user5']) assert.ok(names.includes(name), `${name} listed`);
      for (const user of response.body.users) assert.match(user.user_id, UUID);
    });

    it('pages with limit and offset, stable and without overlap', async () => {
      const all = (await alice.get('/v1/users?limit=100')).body;
      const pages: string[] = [];
      for (let offset = 0; offset < all.total; offset += 2) {
        const page = await alice.get(`/v1/users?limit=2&offset=${offset}`);
        assert.equal(page.status, 200);
        assert.equal(page.body.limit, 2);
        assert.equal(page.body.offset, offset);
        assert.equal(page.body.total, all.total);
        assert.ok(page.body.users.length <= 2);
        pages.push(...page.body.users.map((user: { user_id: string }) => user.user_id));
      }
      assert.deepEqual(pages, all.users.map((user: { user_id: string }) => user.user_id));
    });

    it('answers an offset past the end with an empty page and the real total', async () => {
      const response = await alice.get('/v1/users?offset=1000');
      assert.equal(response.status, 200);
      assert.deepEqual(response.body.users, []);
      assert.ok(response.body.total >= 5);
    });

    it('accepts limit=100', async () => {
      const response = await alice.get('/v1/users?limit=100');
      assert.equal(response.status, 200);
      assert.equal(response.body.limit, 100);
    });

    it('rejects limit=101 with 400 naming limit', async () => {
      const response = await alice.get('/v1/users?limit=101');
      assertProblem(response, 400);
      assert.ok(response.body.field_errors?.limit, JSON.stringify(response.body));
    });

    it('rejects limit=0 with 400', async () => {
      assertProblem(await alice.get('/v1/users?limit=0'), 400);
    });

    it('rejects a negative offset with 400 naming offset', async () => {
      const response = await alice.get('/v1/users?offset=-1');
      assertProblem(response, 400);
      assert.ok(response.body.field_errors?.offset, JSON.stringify(response.body));
    });

    it('rejects a non-numeric limit with 400', async () => {
      assertProblem(await alice.get('/v1/users?limit=abc'), 400);
    });

    it('requires a token (401)', async () => {
      assertProblem(await client.request('GET', '/v1/users?username=user2'), 401, 'TOKEN_MISSING');
    });
  });

  describe('demo users banner', () => {
    it('mentions user1 and password123 in the default hub banner', () => {
      assert.match(hub.output, /user1/);
      assert.match(hub.output, /password123/);
    });
  });

  describe('with NODE_ENV=production', () => {
    let prod: HubProcess;

    before(async () => {
      prod = await HubProcess.start({ mode, env: { NODE_ENV: 'production' } });
    });
    after(() => prod.stop());

    it('seeds no demo users: user1 cannot log in (401)', async () => {
      assertProblem(await demoLogin(new ApiClient(prod.url)), 401);
    });

    it('does not mention demo users in the banner', () => {
      assert.doesNotMatch(prod.output, /user1/);
      assert.doesNotMatch(prod.output, /password123/);
      assert.doesNotMatch(prod.output, /demo users (created|\(user1)/i);
    });
  });

  describe('with CHAT4ALL_DEMO_USERS=false', () => {
    let noDemo: HubProcess;

    before(async () => {
      noDemo = await HubProcess.start({ mode, env: { CHAT4ALL_DEMO_USERS: 'false' } });
    });
    after(() => noDemo.stop());

    it('seeds no demo users: user1 cannot log in (401)', async () => {
      assertProblem(await demoLogin(new ApiClient(noDemo.url)), 401);
    });

    it('does not mention demo users in the banner', () => {
      assert.doesNotMatch(noDemo.output, /user1/);
      assert.doesNotMatch(noDemo.output, /password123/);
    });
  });

  describe('CLI: chat4all user add', () => {
    let dataDir: string;
    let added: CliResult;
    let typedIn: { code: number; screen: string } | undefined;
    let cliHub: HubProcess;
    let cliClient: ApiClient;
    const typedPassword = 'ines-typed-secret';

    before(async () => {
      dataDir = await HubProcess.freshDataDir(mode, 'chat4all-cli-test-');
      added = await runCli(dataDir, mode, ['user', 'add', 'carla', '--password', 'carla-secret-1']);
      if (terminalAvailable) typedIn = await runCliAtTerminal(dataDir, mode, ['user', 'add', 'ines'], typedPassword);
      cliHub = await HubProcess.start({ mode, dataDir });
      cliClient = new ApiClient(cliHub.url);
    });
    after(async () => {
      await cliHub?.stop();
      await HubProcess.removeState(dataDir, mode);
    });

    it('exits 0 and prints the new user with its id', () => {
      assert.equal(added.code, 0, `stdout: ${added.stdout}\nstderr: ${added.stderr}`);
      assert.match(added.stdout, /carla/);
      assert.match(added.stdout, /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i);
    });

    it('creates a user who can log in with the given password', async () => {
      const response = await cliClient.request('POST', '/auth/token', { body: { username: 'carla', password: 'carla-secret-1' } });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.username, 'carla');
      assert.ok(added.stdout.includes(response.body.user_id), 'the id printed by the CLI is the id the user logs in with');
    });

    const atTerminal = { skip: !terminalAvailable && 'needs util-linux script for a terminal' };

    it('does not show a password typed at its terminal prompt', atTerminal, () => {
      assert.equal(typedIn!.code, 0, typedIn!.screen);
      assert.match(typedIn!.screen, /Password:/);
      assert.match(typedIn!.screen, /Created user ines/);
      assert.ok(!typedIn!.screen.includes(typedPassword), `the terminal showed the password:\n${typedIn!.screen}`);
    });

    it('creates a user who logs in with the password typed at the prompt', atTerminal, async () => {
      const response = await cliClient.request('POST', '/auth/token', { body: { username: 'ines', password: typedPassword } });
      assert.equal(response.status, 200, JSON.stringify(response.body));
    });

    it('creates a user who cannot log in with a wrong password (401)', async () => {
      const response = await cliClient.request('POST', '/auth/token', { body: { username: 'carla', password: 'carla-secret-2' } });
      assertProblem(response, 401);
    });

    it('creates a user others can find with GET /v1/users?username=', async () => {
      const carla = await cliClient.login('carla', 'carla-secret-1');
      const response = await carla.get('/v1/users?username=carla');
      assert.equal(response.status, 200);
      assert.equal(response.body.total, 1);
      assert.equal(response.body.users[0].user_id, carla.userId);
    });

    it('keeps demo users consistent with the banner: if it announces them, user1/password123 logs in', async () => {
      const announces = /user1/.test(cliHub.output) && /password123/.test(cliHub.output);
      const login = await demoLogin(cliClient);
      if (announces) {
        assert.equal(login.status, 200, `banner announces demo users but user1 cannot log in:\n${cliHub.output}`);
      } else {
        assert.equal(login.status, 401);
      }
    });

    // Embedded only: the refusal is PGlite's lock on its data directory. In distributed mode the state lives in
    // PostgreSQL, which the hub and the CLI (like any number of hub processes) share by design.
    if (mode === 'embedded') {
      it('refuses to open a data dir a running hub holds: non-zero exit and a clear message', async () => {
        const result = await runCli(cliHub.dataDir, mode, ['user', 'add', 'dora', '--password', 'dora-secret-1']);
        assert.notEqual(result.code, 0, `stdout: ${result.stdout}\nstderr: ${result.stderr}`);
        assert.match(result.stderr, /in use/i);
        assert.ok(result.stderr.includes(cliHub.dataDir) || /data dir/i.test(result.stderr), result.stderr);
        assert.ok(result.stderr.length < 2_000, 'a short message, not a stack trace');
      });

      it('stores nothing when it refuses a held data dir', async () => {
        await runCli(cliHub.dataDir, mode, ['user', 'add', 'erin', '--password', 'erin-secret-1']);
        const response = await cliClient.request('POST', '/auth/token', { body: { username: 'erin', password: 'erin-secret-1' } });
        assertProblem(response, 401);
      });
    } else {
      it('adds a user while a hub runs on the same database, who can log in to that hub at once', async () => {
        const result = await runCli(cliHub.dataDir, mode, ['user', 'add', 'dora', '--password', 'dora-secret-1']);
        assert.equal(result.code, 0, `stdout: ${result.stdout}\nstderr: ${result.stderr}`);
        const response = await cliClient.request('POST', '/auth/token', { body: { username: 'dora', password: 'dora-secret-1' } });
        assert.equal(response.status, 200, JSON.stringify(response.body));
        assert.ok(result.stdout.includes(response.body.user_id), 'the id printed by the CLI is the id the user logs in with');
      });
    }

    it('refuses a username that already exists with a non-zero exit', async () => {
      const other = await HubProcess.freshDataDir(mode, 'chat4all-cli-test-');
      try {
        const first = await runCli(other, mode, ['user', 'add', 'frank', '--password', 'frank-secret-1']);
        assert.equal(first.code, 0, first.stderr);
        const second = await runCli(other, mode, ['user', 'add', 'frank', '--password', 'frank-secret-2']);
        assert.notEqual(second.code, 0);
        assert.match(second.stderr, /frank|taken|exists/i);
      } finally {
        await HubProcess.removeState(other, mode);
      }
    });

    it('refuses a password shorter than 8 characters with a non-zero exit', async () => {
      const other = await HubProcess.freshDataDir(mode, 'chat4all-cli-test-');
      try {
        const result = await runCli(other, mode, ['user', 'add', 'gina', '--password', 'short']);
        assert.notEqual(result.code, 0);
        assert.match(result.stderr, /password/i);
      } finally {
        await HubProcess.removeState(other, mode);
      }
    });
  });
});
