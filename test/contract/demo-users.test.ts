import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient } from '../support/api-client.ts';
import { assertProblem } from '../support/assertions.ts';
import { HubProcess } from '../support/hub-process.ts';
import { runCli } from '../support/run-cli.ts';
import { testModes, type TestMode } from '../support/test-modes.ts';

const DEMO_USERS = ['user1', 'user2', 'user3', 'user4', 'user5'];
const login = (client: ApiClient, username: string, password = 'password123') =>
  client.request('POST', '/auth/token', { body: { username, password } });

async function addUser(dataDir: string, mode: TestMode, username: string, password: string): Promise<void> {
  const added = await runCli(dataDir, mode, ['user', 'add', username, '--password', password]);
  assert.equal(added.code, 0, `user add ${username}: ${added.stdout}${added.stderr}`);
}

for (const mode of testModes) describe(`demo users and NODE_ENV=production [${mode}]`, () => {
  describe('a data dir made in development, restarted with NODE_ENV=production', () => {
    let dataDir: string;
    let prod: HubProcess | undefined;
    let client: ApiClient;

    before(async () => {
      dataDir = await HubProcess.freshDataDir(mode, 'chat4all-demo-prod-');
      const dev = await HubProcess.start({ mode, dataDir });
      try {
        // The premise: in development the demo users work.
        const response = await login(new ApiClient(dev.url), 'user1');
        assert.equal(response.status, 200, JSON.stringify(response.body));
      } finally {
        await dev.stop();
      }
      await addUser(dataDir, mode, 'carla', 'carla-secret-1');
      prod = await HubProcess.start({ mode, dataDir, env: { NODE_ENV: 'production' } });
      client = new ApiClient(prod.url);
    });
    after(async () => {
      await prod?.stop();
      await HubProcess.removeState(dataDir, mode);
    });

    it('answers user1 / password123 with 401 INVALID_CREDENTIALS, and every other demo user likewise', async () => {
      for (const username of DEMO_USERS) assertProblem(await login(client, username), 401, 'INVALID_CREDENTIALS');
    });

    it('warns at start-up, naming every demo user it disabled', () => {
      const warnings = prod!.linesWith('WARNING').filter((line) => /demo users/i.test(line));
      assert.equal(warnings.length, 1, prod!.output);
      for (const username of DEMO_USERS) assert.match(warnings[0]!, new RegExp(`\\b${username}\\b`));
    });

    it('does not advertise the demo password as a way in', () => {
      assert.doesNotMatch(prod!.output, /Demo users .* with password/);
    });

    it('keeps real users: carla still logs in', async () => {
      assert.equal((await login(client, 'carla', 'carla-secret-1')).status, 200);
    });

    describe('a second production start', () => {
      before(async () => {
        await prod!.stop();
        prod = await HubProcess.start({ mode, dataDir, env: { NODE_ENV: 'production' } });
        client = new ApiClient(prod.url);
      });

      it('keeps them disabled, with nothing new to warn about', async () => {
        assertProblem(await login(client, 'user1'), 401, 'INVALID_CREDENTIALS');
        assert.equal(prod!.linesWith('WARNING').length, 0, prod!.output);
      });
    });
  });

  describe('demo users from before they were marked: user1…user5 with the demo password', () => {
    let dataDir: string;
    let prod: HubProcess | undefined;
    let client: ApiClient;

    before(async () => {
      dataDir = await HubProcess.freshDataDir(mode, 'chat4all-demo-legacy-');
      // Made with `user add`, so not marked: only the name and the password say what they are.
      await addUser(dataDir, mode, 'user1', 'password123');
      await addUser(dataDir, mode, 'user2', 'a-password-of-its-own');
      await addUser(dataDir, mode, 'dora', 'password123');
      prod = await HubProcess.start({ mode, dataDir, env: { NODE_ENV: 'production' } });
      client = new ApiClient(prod.url);
    });
    after(async () => {
      await prod?.stop();
      await HubProcess.removeState(dataDir, mode);
    });

    it('disables user1, whose password is the demo one, and says so', async () => {
      assertProblem(await login(client, 'user1'), 401, 'INVALID_CREDENTIALS');
      const warning = prod!.linesWith('WARNING').find((line) => /demo users/i.test(line));
      assert.ok(warning, prod!.output);
      assert.match(warning, /\buser1\b/);
      assert.doesNotMatch(warning, /\buser2\b|\bdora\b/);
    });

    it('keeps user2, whose password is not the demo one', async () => {
      assert.equal((await login(client, 'user2', 'a-password-of-its-own')).status, 200);
    });

    it('keeps users with other names, whatever their password', async () => {
      assert.equal((await login(client, 'dora')).status, 200);
    });
  });

  describe('NODE_ENV=production with CHAT4ALL_DEMO_USERS=true', () => {
    let dataDir: string;

    before(async () => {
      dataDir = await HubProcess.freshDataDir(mode, 'chat4all-demo-refused-');
    });
    after(() => HubProcess.removeState(dataDir, mode));

    it('refuses to start, naming CHAT4ALL_DEMO_USERS', async () => {
      const { code, output } = await HubProcess.refusal({ mode, dataDir, env: { NODE_ENV: 'production', CHAT4ALL_DEMO_USERS: 'true' } });
      assert.notEqual(code, 0);
      assert.match(output, /CHAT4ALL_DEMO_USERS/);
    });
  });
});
