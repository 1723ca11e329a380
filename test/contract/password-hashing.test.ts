import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient } from '../support/api-client.ts';
import { assertProblem } from '../support/assertions.ts';
import { HubProcess } from '../support/hub-process.ts';
import { runCli, type CliResult } from '../support/run-cli.ts';
import { testModes } from '../support/test-modes.ts';

/** The longest password bcrypt reads whole: 72 bytes. */
const PASSWORD_72 = 'correct-horse-'.repeat(6).slice(0, 72);

for (const mode of testModes) describe(`password hashing [${mode}]`, () => {
  describe('NODE_ENV=production and a cheap bcrypt cost', () => {
    let dataDir: string;

    before(async () => {
      dataDir = await HubProcess.freshDataDir(mode, 'chat4all-rounds-');
    });
    after(() => HubProcess.removeState(dataDir, mode));

    it('refuses to start with BCRYPT_ROUNDS=9, naming the variable', async () => {
      const { code, output } = await HubProcess.refusal({ mode, dataDir, env: { NODE_ENV: 'production', BCRYPT_ROUNDS: '9' } });
      assert.notEqual(code, 0, 'exits with a non-zero code');
      assert.match(output, /BCRYPT_ROUNDS/);
      assert.doesNotMatch(output, /listening on/);
    });
  });

  describe('passwords longer than bcrypt reads (72 bytes)', () => {
    let dataDir: string;
    let tooLong: CliResult;
    let hub: HubProcess;
    let client: ApiClient;

    before(async () => {
      dataDir = await HubProcess.freshDataDir(mode, 'chat4all-long-password-');
      const added = await runCli(dataDir, mode, ['user', 'add', 'kim', '--password', PASSWORD_72]);
      assert.equal(added.code, 0, added.stderr);
      tooLong = await runCli(dataDir, mode, ['user', 'add', 'lee', '--password', `${PASSWORD_72}x`]);
      hub = await HubProcess.start({ mode, dataDir });
      client = new ApiClient(hub.url);
    });
    after(async () => {
      await hub?.stop();
      await HubProcess.removeState(dataDir, mode);
    });

    const login = (username: string, password: string) => client.request('POST', '/auth/token', { body: { username, password } });

    it('refuses to add a user whose password is 73 bytes, saying why', () => {
      assert.notEqual(tooLong.code, 0, tooLong.stdout);
      assert.match(tooLong.stderr, /72 bytes/);
    });

    it('logs in with a password of exactly 72 bytes', async () => {
      assert.equal((await login('kim', PASSWORD_72)).status, 200);
    });

    it('refuses the right 72 bytes followed by more (401), which bcrypt alone would have taken', async () => {
      assertProblem(await login('kim', `${PASSWORD_72}x`), 401, 'INVALID_CREDENTIALS');
    });
  });
});
