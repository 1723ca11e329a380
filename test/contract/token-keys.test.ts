import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ApiClient, type Session } from '../support/api-client.ts';
import { assertProblem } from '../support/assertions.ts';
import { send, TestFile, Uploader } from '../support/file-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { runCli } from '../support/run-cli.ts';
import { storageOf, testModes } from '../support/test-modes.ts';

/** The token signing secret of docker-compose.yml before it required one: anyone could read it. */
const COMPOSE_PLACEHOLDER = 'change-me-to-a-long-random-string';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
/** The kid the README documents: the first 8 bytes of the key's SHA-256, base64url. */
const kidOf = (secret: string) => createHash('sha256').update(secret, 'utf8').digest().subarray(0, 8).toString('base64url');
const headerOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8'));

/** An HS256 JWT for `userId` signed with `secret`, as anyone who knows (or guesses) a secret can make one. */
function forge(secret: string, userId: string, header: Record<string, unknown>): string {
  const now = Math.floor(Date.now() / 1000);
  const signed = `${b64(header)}.${b64({ sub: userId, name: 'alice', iat: now, exp: now + 3600 })}`;
  return `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}`;
}

for (const mode of testModes) describe(`token secrets and key rotation [${mode}]`, () => {
  describe('NODE_ENV=production refuses a weak token secret at start-up', () => {
    let dataDir: string;

    before(async () => {
      dataDir = await HubProcess.freshDataDir(mode, 'chat4all-weak-secret-');
    });
    after(() => HubProcess.removeState(dataDir, mode));

    const refused = async (env: Record<string, string>, variable: string) => {
      const { code, output } = await HubProcess.refusal({ mode, dataDir, env: { NODE_ENV: 'production', ...env } });
      assert.notEqual(code, 0, 'exits with a non-zero code');
      assert.match(output, new RegExp(variable), `the output names ${variable}`);
      assert.doesNotMatch(output, /listening on/);
    };

    it('exits non-zero naming CHAT4ALL_TOKEN_SECRET when it is one byte ("a")', () => refused({ CHAT4ALL_TOKEN_SECRET: 'a' }, 'CHAT4ALL_TOKEN_SECRET'));

    it('exits non-zero naming CHAT4ALL_TOKEN_SECRET when it is the compose placeholder (33 bytes)', () =>
      refused({ CHAT4ALL_TOKEN_SECRET: COMPOSE_PLACEHOLDER }, 'CHAT4ALL_TOKEN_SECRET'));

    it('exits non-zero naming CHAT4ALL_TOKEN_PREVIOUS_SECRETS when a previous secret is weak', () =>
      refused({ CHAT4ALL_TOKEN_SECRET: randomBytes(32).toString('base64'), CHAT4ALL_TOKEN_PREVIOUS_SECRETS: 'changeme' }, 'CHAT4ALL_TOKEN_PREVIOUS_SECRETS'));
  });

  describe('outside production, a weak token secret', () => {
    let hub: HubProcess;

    before(async () => {
      hub = await HubProcess.start({ mode, env: { CHAT4ALL_TOKEN_SECRET: 'a' } });
    });
    after(() => hub.stop());

    it('starts with a warning naming CHAT4ALL_TOKEN_SECRET', () => {
      assert.ok(hub.linesWith('WARNING').some((line) => line.includes('CHAT4ALL_TOKEN_SECRET')), hub.output);
    });
  });

  describe('NODE_ENV=production with the secret the hub generated', () => {
    let hub: HubProcess;
    let dataDir: string;
    let alice: Session;

    before(async () => {
      dataDir = await HubProcess.freshDataDir(mode, 'chat4all-forged-');
      const added = await runCli(dataDir, mode, ['user', 'add', 'alice', '--password', 'alice-secret-1']);
      assert.equal(added.code, 0, added.stderr);
      hub = await HubProcess.start({ mode, dataDir, env: { NODE_ENV: 'production' } });
      alice = await new ApiClient(hub.url).login('alice', 'alice-secret-1');
    });
    after(async () => {
      await hub?.stop();
      await HubProcess.removeState(dataDir, mode);
    });

    it('accepts alice\'s own token (the check below is not vacuous)', async () => {
      assert.equal((await alice.get('/v1/users/me')).status, 200);
    });

    it('answers 401 TOKEN_INVALID on /v1/users/me to tokens for alice forged with keys it does not have, with or without kid', async () => {
      const ownKid = headerOf(alice.token).kid;
      assert.equal(typeof ownKid, 'string', 'the hub\'s tokens carry a kid');
      for (const secret of [COMPOSE_PLACEHOLDER, 'a', randomBytes(48).toString('base64')]) {
        for (const header of [
          { alg: 'HS256', typ: 'JWT' },
          { alg: 'HS256', typ: 'JWT', kid: kidOf(secret) },
          { alg: 'HS256', typ: 'JWT', kid: ownKid },
        ]) {
          const response = await alice.client.request('GET', '/v1/users/me', { token: forge(secret, alice.userId, header) });
          assertProblem(response, 401, 'TOKEN_INVALID');
        }
      }
    });
  });

  describe('rotation: CHAT4ALL_TOKEN_PREVIOUS_SECRETS, across restarts on the same data', () => {
    const oldSecret = randomBytes(48).toString('base64');
    const newSecret = randomBytes(48).toString('base64');
    const file = new TestFile(`${mode}-rotation`, 1000);
    let dataDir: string;
    let rotated: HubProcess | undefined;
    let dropped: HubProcess | undefined;
    let oldToken: string;
    let fileId: string;
    /** The hub's own presigned URL for chunk 0 (disk storage), path and query only: each run has its own port. */
    let oldUploadPath: string;

    before(async () => {
      dataDir = await HubProcess.freshDataDir(mode, 'chat4all-rotation-');
      const first = await HubProcess.start({ mode, dataDir, env: { CHAT4ALL_TOKEN_SECRET: oldSecret } });
      try {
        const session = await new ApiClient(first.url).login('user1');
        oldToken = session.token;
        const initiated = await new Uploader(session).initiate(file);
        fileId = initiated.fileId;
        const url = new URL(initiated.body.upload_url);
        oldUploadPath = `${url.pathname}${url.search}`;
      } finally {
        await first.stop();
      }
      rotated = await HubProcess.start({
        mode,
        dataDir,
        env: { CHAT4ALL_TOKEN_SECRET: newSecret, CHAT4ALL_TOKEN_PREVIOUS_SECRETS: oldSecret },
      });
    });
    after(async () => {
      await rotated?.stop();
      await dropped?.stop();
      await HubProcess.removeState(dataDir, mode);
    });

    it('issued its tokens with the kid of the key it had then', () => {
      assert.equal(headerOf(oldToken).kid, kidOf(oldSecret));
    });

    it('accepts a token issued under the key that moved to PREVIOUS', async () => {
      const response = await new ApiClient(rotated!.url).request('GET', '/v1/users/me', { token: oldToken });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.username, 'user1');
    });

    it('issues new tokens under the new key', async () => {
      const session = await new ApiClient(rotated!.url).login('user2');
      assert.equal(headerOf(session.token).kid, kidOf(newSecret));
    });

    it('accepts a presigned chunk URL signed before the rotation', { skip: storageOf(mode) !== 'disk' && 'presigned URLs are the S3 server\'s here' }, async () => {
      const put = await send('PUT', new URL(oldUploadPath, rotated!.url).toString(), { body: file.chunk(0) });
      assert.equal(put.status, 200, JSON.stringify(put.body));
      const done = await new Uploader(await new ApiClient(rotated!.url).login('user1')).complete(fileId, file.sha256());
      assert.equal(done.status, 200, JSON.stringify(done.body));
    });

    describe('once the old key is dropped', () => {
      let newToken: string;

      before(async () => {
        newToken = (await new ApiClient(rotated!.url).login('user3')).token;
        await rotated!.stop();
        rotated = undefined;
        dropped = await HubProcess.start({ mode, dataDir, env: { CHAT4ALL_TOKEN_SECRET: newSecret } });
      });

      it('refuses a token issued under the dropped key with 401 TOKEN_INVALID', async () => {
        assertProblem(await new ApiClient(dropped!.url).request('GET', '/v1/users/me', { token: oldToken }), 401, 'TOKEN_INVALID');
      });

      it('still accepts a token issued under the current key', async () => {
        const response = await new ApiClient(dropped!.url).request('GET', '/v1/users/me', { token: newToken });
        assert.equal(response.status, 200, JSON.stringify(response.body));
      });

      it('refuses a presigned chunk URL signed with the dropped key (403 UPLOAD_URL_INVALID)', { skip: storageOf(mode) !== 'disk' && 'presigned URLs are the S3 server\'s here' }, async () => {
        const response = await send('PUT', new URL(oldUploadPath, dropped!.url).toString(), { body: file.chunk(0) });
        assertProblem(response, 403, 'UPLOAD_URL_INVALID');
      });
    });
  });
});
