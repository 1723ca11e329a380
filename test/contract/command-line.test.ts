import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import packageJson from '../../package.json' with { type: 'json' };
import { HubProcess } from '../support/hub-process.ts';
import { runCli, type CliOptions, type CliResult } from '../support/run-cli.ts';
import { distributedState, testModes } from '../support/test-modes.ts';

const BIN = fileURLToPath(new URL('../../bin/chat4all.js', import.meta.url));

/** Every command and command group, as a user types it. */
const COMMANDS = [
  ['start'],
  ['api'],
  ['relay'],
  ['router'],
  ['notifier'],
  ['webhooks'],
  ['cleanup'],
  ['connector'],
  ['dead-letters'],
  ['dead-letters', 'replay'],
  ['user'],
  ['user', 'add'],
  ['user', 'disable'],
  ['user', 'enable'],
  ['client'],
  ['client', 'add'],
  ['client', 'list'],
  ['client', 'disable'],
];

/**
 * A configuration the hub refuses: a command that read it would exit 1 naming LOG_LEVEL. Help and refusals of the
 * command line must not read it, nor touch the data directory.
 */
const REFUSED_CONFIGURATION = { LOG_LEVEL: 'loud' };

/** The CLI in a new empty directory, which it must leave empty; resolves with its result. */
async function runUntouched(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'chat4all-cli-'));
  try {
    const result = await runCli(dataDir, 'embedded', args, { ...options, env: { ...REFUSED_CONFIGURATION, ...options.env } });
    assert.deepEqual(await readdir(dataDir), [], `chat4all ${args.join(' ')} left its data directory empty`);
    return result;
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** Exit 1 and one line on stderr, no stack trace: `chat4all: ` and what `pattern` matches. */
function assertOneLine(result: CliResult, pattern: RegExp): void {
  const shown = `exit ${result.code}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
  assert.equal(result.code, 1, shown);
  const lines = result.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line on stderr\n${shown}`);
  assert.match(lines[0]!, /^chat4all: /, shown);
  assert.match(lines[0]!, pattern, shown);
}

describe('the command line', () => {
  it('prints package.json\'s version for --version and -v', async () => {
    for (const flag of ['--version', '-v']) {
      const result = await runUntouched([flag]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stdout, `${packageJson.version}\n`);
    }
  });

  it('prints the overview for no command, help, --help and -h, naming every command', async () => {
    for (const args of [[], ['help'], ['--help'], ['-h']]) {
      const result = await runUntouched(args);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /^Usage: chat4all <command>/);
      for (const command of COMMANDS) assert.ok(result.stdout.includes(`  ${command.join(' ')}`), `${command.join(' ')} in:\n${result.stdout}`);
    }
  });

  it('answers --help and -h for every command with its usage, exit 0, reading no configuration and touching no data', async () => {
    for (const command of COMMANDS) {
      for (const args of [[...command, '--help'], [...command, '-h']]) {
        const result = await runUntouched(args);
        assert.equal(result.code, 0, `chat4all ${args.join(' ')}: ${result.stderr}`);
        assert.equal(result.stderr, '');
        assert.ok(result.stdout.startsWith(`Usage: chat4all ${command.join(' ')}`), `chat4all ${args.join(' ')}:\n${result.stdout}`);
      }
    }
  });

  it('answers help <command> with the usage of the command', async () => {
    const result = await runUntouched(['help', 'client', 'add']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Usage: chat4all client add <name> --scopes <admin,chat> \[--user <username>\]/);
  });

  it('gives --help after arguments too: user add alice --help creates no user named --help or alice', async () => {
    const result = await runUntouched(['user', 'add', 'alice', '--help']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Usage: chat4all user add <username> \[--password <password>\]/);
  });

  const refusals: [string[], RegExp, string][] = [
    [['start', '--bogus'], /^chat4all: unknown option --bogus$/m, 'start'],
    [['user', 'add', 'bob', '--pasword', 'bob-secret-1'], /^chat4all: unknown option --pasword$/m, 'user add'],
    [['user', 'add', 'bob', '-p', 'bob-secret-1'], /^chat4all: unknown option -p$/m, 'user add'],
    [['--bogus'], /^chat4all: unknown option --bogus$/m, '<command>'],
    [['frobnicate'], /^chat4all: unknown command "frobnicate"$/m, '<command>'],
    [['user', 'frob'], /^chat4all: unknown command "user frob"$/m, 'user <command>'],
    [['user'], /^chat4all: user needs a command: add, disable, enable$/m, 'user <command>'],
    [['user', 'add'], /^chat4all: user add needs <username>$/m, 'user add'],
    [['user', 'add', 'bob', '--password'], /^chat4all: --password needs a value/m, 'user add'],
    [['client', 'add', 'ops'], /^chat4all: client add needs --scopes <admin,chat>$/m, 'client add'],
    [['start', 'extra'], /^chat4all: unexpected argument "extra"$/m, 'start'],
    [['start', '--help=yes'], /^chat4all: --help takes no value$/m, 'start'],
  ];
  for (const [args, message, usage] of refusals) {
    it(`refuses chat4all ${args.join(' ')} with exit 2, what is wrong and the usage, touching nothing`, async () => {
      const result = await runUntouched(args);
      assert.equal(result.code, 2, `stdout: ${result.stdout}\nstderr: ${result.stderr}`);
      assert.equal(result.stdout, '');
      assert.match(result.stderr.split('\n')[0]!, message);
      assert.ok(result.stderr.includes(`\nUsage: chat4all ${usage}`), result.stderr);
    });
  }
});

describe('start-up failures: one line with the fix, no stack trace', () => {
  it('names LOG_LEVEL and the levels it takes', async () => {
    assertOneLine(await runUntouched(['start']), /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"/);
  });

  it('names the channel a connector does not know, and CHAT4ALL_CHANNELS, before opening anything', async () => {
    assertOneLine(await runUntouched(['connector', 'nope'], { env: { LOG_LEVEL: 'warn' } }), /unknown channel "nope": this hub runs whatsapp, instagram \(CHAT4ALL_CHANNELS\)/);
  });

  describe('embedded', () => {
    let dataDir: string;
    let holder: Server;
    let port: number;
    before(async () => {
      dataDir = await HubProcess.freshDataDir('embedded', 'chat4all-startup-');
      holder = createServer();
      await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
      port = (holder.address() as AddressInfo).port;
    });
    after(async () => {
      holder.close();
      await HubProcess.removeState(dataDir, 'embedded');
    });

    it('says the port is in use and to set PORT, and leaves the data directory unlocked', async () => {
      const result = await runCli(dataDir, 'embedded', ['start'], { env: { HOST: '127.0.0.1', PORT: String(port) } });
      assertOneLine(result, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use by another process: .*set PORT`));
      assert.equal(existsSync(path.join(dataDir, 'chat4all.pid')), false, 'the lock is released');
    });

    it('says HOST is not an address of this machine', async () => {
      // 192.0.2.0/24 is TEST-NET-1: documentation only, never a machine's own address.
      const result = await runCli(dataDir, 'embedded', ['start'], { env: { HOST: '192.0.2.1', PORT: '0' } });
      assertOneLine(result, /HOST=192\.0\.2\.1 is not an address of this machine/);
    });

    it('says which process holds the data directory, and CHAT4ALL_DATA_DIR', async () => {
      // The lock names a live process: this test's own.
      await writeFile(path.join(dataDir, 'chat4all.pid'), String(process.pid));
      try {
        const result = await runCli(dataDir, 'embedded', ['start'], { env: { PORT: '0' } });
        assertOneLine(result, new RegExp(`data directory ${dataDir} is in use by process ${process.pid}; .*CHAT4ALL_DATA_DIR`));
      } finally {
        await rm(path.join(dataDir, 'chat4all.pid'));
      }
    });

    it('starts with Kafka unreachable, saying so once in one line: the roles that use it wait for it', async () => {
      const hub = await HubProcess.start({ dataDir, env: { KAFKA_BOOTSTRAP_SERVERS: '127.0.0.1:1' } });
      try {
        const warnings = hub.linesWith('KAFKA_BOOTSTRAP_SERVERS');
        assert.equal(warnings.length, 1, hub.output);
        assert.match(warnings[0]!, /^WARNING: Kafka at 127\.0\.0\.1:1 \(KAFKA_BOOTSTRAP_SERVERS\) is unreachable \(.*ECONNREFUSED.*\): the roles that use it wait for it$/);
      } finally {
        await hub.stop();
      }
    });
  });

  // A process started before its database waits up to a minute for it (README), then says what it waited for.
  it('says the database at DATABASE_URL is unreachable, without its password, once it gave up waiting', { timeout: 120_000 }, async () => {
    const env = { DATABASE_URL: 'postgres://chat4all:s3cret-pw@127.0.0.1:1/chat4all' };
    const result = await runUntouched(['client', 'list'], { env: { ...env, LOG_LEVEL: 'warn' }, timeoutMs: 110_000 });
    assertOneLine(result, /the PostgreSQL database at postgres:\/\/chat4all:\*\*\*@127\.0\.0\.1:1\/chat4all \(DATABASE_URL\) is unreachable \(.*ECONNREFUSED.*\): start it, or fix DATABASE_URL/);
    assert.ok(!result.stdout.includes('s3cret-pw') && !result.stderr.includes('s3cret-pw'), 'the password is not shown');
  });

  it('says the database server refused DATABASE_URL, and why', { skip: !testModes.includes('distributed') && 'needs the PostgreSQL server of distributed mode' }, async () => {
    // Named like a test hub's database, which exists only once a hub is started on it.
    const { url } = distributedState(`chat4all-missing-${process.pid}`);
    const result = await runUntouched(['client', 'list'], { env: { DATABASE_URL: url, LOG_LEVEL: 'warn' } });
    assertOneLine(result, /the PostgreSQL database at .* \(DATABASE_URL\) refused the connection \(database ".*" does not exist\): fix DATABASE_URL/);
  });
});

describe('bin/chat4all.js', () => {
  it("runs the CLI on the Node of package.json's engines", async () => {
    const result = await runUntouched(['--version'], { program: [process.execPath, BIN] });
    assert.equal(result.stdout, `${packageJson.version}\n`, result.stderr);
  });

  // /usr/bin/node is the system's: on this project's machines, an older Node than the hub needs.
  const older = ['/usr/bin/node', '/usr/local/bin/node'].find((node) => existsSync(node) && majorOf(node) < 24);
  it('says on an older Node which Node it needs and how to get it, in one line', { skip: !older && 'no Node older than 24 here' }, async () => {
    const result = await runUntouched(['--version'], { program: [older!, BIN] });
    assertOneLine(result, /^chat4all: needs Node\.js >=24\.0\.0 <25, this is \d+\.\d+\.\d+\. .*npm start .*npm ci/);
    assert.equal(result.stdout, '');
  });
});

function majorOf(node: string): number {
  return Number(execFileSync(node, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).trim());
}
