import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiClient } from '../support/api-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';

const FILE_ORIGIN = 'https://from-the-env-file.example';

/** Whether the hub lets `origin` call it: the file's CHAT4ALL_CORS_ORIGINS shows whether the file was read. */
async function allowsOrigin(hub: HubProcess, origin: string): Promise<boolean> {
  const response = await new ApiClient(hub.url).request('GET', '/health', { headers: { origin } });
  return response.headers.get('access-control-allow-origin') === origin;
}

async function tokenLifetime(hub: HubProcess): Promise<number> {
  const response = await new ApiClient(hub.url).request('POST', '/auth/token', { body: { username: 'user1', password: 'password123' } });
  assert.equal(response.status, 200);
  return response.body.expires_in;
}

for (const mode of testModes) describe(`the .env file [${mode}]`, () => {
  let directory: string;

  before(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'chat4all-env-file-'));
    const lines = [
      '# what `cp .env.example .env` and an edit leave',
      `CHAT4ALL_CORS_ORIGINS=${FILE_ORIGIN}`,
      'TOKEN_TTL_SECONDS=120',
      'CHAT4ALL_TUNE_FOR="memory"',
      'CHAT4ALL_TOKEN_SECRET=',
      '# CHAT4ALL_DEMO_USERS=false',
    ];
    await writeFile(path.join(directory, '.env'), `${lines.join('\n')}\n`);
  });
  after(() => rm(directory, { recursive: true, force: true }));

  describe('in the working directory', () => {
    let hub: HubProcess;

    before(async () => {
      // The harness names /dev/null so a developer's own .env stays out of the tests, and sets CHAT4ALL_TUNE_FOR:
      // both unset here (empty counts as unset), as for a user.
      hub = await HubProcess.start({
        mode,
        args: ['api'],
        cwd: directory,
        env: { CHAT4ALL_ENV_FILE: '', CHAT4ALL_TUNE_FOR: '', TOKEN_TTL_SECONDS: '60' },
      });
    });
    after(() => hub.stop());

    it('is read at start', async () => {
      assert.ok(await allowsOrigin(hub, FILE_ORIGIN), 'the CORS origin the file sets');
    });

    it('loses to a variable set in the real environment', async () => {
      assert.equal(await tokenLifetime(hub), 60);
    });

    it('is read before the V8 flags are chosen: its CHAT4ALL_TUNE_FOR=memory gives the API its young-generation flag', () => {
      const argv = readFileSync(`/proc/${hub.pid}/cmdline`, 'utf8').split('\0');
      assert.ok(argv.includes('--max-semi-space-size=1'), argv.join(' '));
    });
  });

  it('is the file CHAT4ALL_ENV_FILE names, relative to the working directory', async () => {
    const hub = await HubProcess.start({ mode, args: ['api'], env: { CHAT4ALL_ENV_FILE: path.relative(process.cwd(), path.join(directory, '.env')) } });
    try {
      assert.ok(await allowsOrigin(hub, FILE_ORIGIN));
      assert.equal(await tokenLifetime(hub), 120);
    } finally {
      await hub.stop();
    }
  });

  it('is not needed: without one in the working directory the hub starts on its defaults', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'chat4all-no-env-file-'));
    const hub = await HubProcess.start({ mode, args: ['api'], cwd: empty, env: { CHAT4ALL_ENV_FILE: '' } });
    try {
      assert.equal(await allowsOrigin(hub, FILE_ORIGIN), false);
      assert.equal(await tokenLifetime(hub), 3600);
    } finally {
      await hub.stop();
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('stops the hub, naming it, when CHAT4ALL_ENV_FILE names a file that cannot be read', async () => {
    const missing = path.join(directory, 'no-such.env');
    const dataDir = await HubProcess.freshDataDir(mode);
    try {
      const { code, output } = await HubProcess.refusal({ mode, dataDir, args: ['api'], env: { CHAT4ALL_ENV_FILE: missing } });
      assert.equal(code, 1);
      assert.match(output, new RegExp(`^chat4all: CHAT4ALL_ENV_FILE ${missing} cannot be read \\(ENOENT\\)$`, 'm'));
    } finally {
      await HubProcess.removeState(dataDir, mode);
    }
  });
});
