import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, SASL_MECHANISMS } from '../../src/config.ts';
import { applyEnvFile } from '../../src/env-file.ts';

const read = (file: string) => readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8');

describe('applyEnvFile', () => {
  const directory = mkdtempSync(path.join(tmpdir(), 'chat4all-env-file-unit-'));
  after(() => rmSync(directory, { recursive: true, force: true }));
  writeFileSync(
    path.join(directory, '.env'),
    ['# a comment', 'PORT=9001', 'LOG_LEVEL=debug', 'HOST=', 'TOKEN_TTL_SECONDS="120"', 'CHAT4ALL_ENV_FILE=elsewhere.env', ''].join('\n'),
  );
  writeFileSync(path.join(directory, 'other.env'), 'PORT=9002\n');

  it('reads .env in the given directory, adding what the environment does not set', () => {
    const env: NodeJS.ProcessEnv = {};
    assert.equal(applyEnvFile(env, directory), path.join(directory, '.env'));
    assert.deepEqual(env, { PORT: '9001', LOG_LEVEL: 'debug', HOST: '', TOKEN_TTL_SECONDS: '120' });
  });

  it('lets a variable of the real environment win, unless it is empty (unset)', () => {
    const env: NodeJS.ProcessEnv = { PORT: '8080', LOG_LEVEL: '' };
    applyEnvFile(env, directory);
    assert.equal(env.PORT, '8080');
    assert.equal(env.LOG_LEVEL, 'debug');
  });

  it('takes CHAT4ALL_ENV_FILE from the real environment only, relative to the directory', () => {
    const env: NodeJS.ProcessEnv = { CHAT4ALL_ENV_FILE: 'other.env' };
    assert.equal(applyEnvFile(env, directory), path.join(directory, 'other.env'));
    assert.equal(env.PORT, '9002');
    assert.equal(env.LOG_LEVEL, undefined);
  });

  it('reads nothing from /dev/null', () => {
    const env: NodeJS.ProcessEnv = { CHAT4ALL_ENV_FILE: '/dev/null' };
    applyEnvFile(env, directory);
    assert.deepEqual(env, { CHAT4ALL_ENV_FILE: '/dev/null' });
  });

  it('needs no .env: without one it changes nothing', () => {
    const env: NodeJS.ProcessEnv = {};
    assert.equal(applyEnvFile(env, path.join(directory, 'no-such-directory')), undefined);
    assert.deepEqual(env, {});
  });

  it('refuses a file CHAT4ALL_ENV_FILE names that cannot be read, naming both', () => {
    assert.throws(
      () => applyEnvFile({ CHAT4ALL_ENV_FILE: 'missing.env' }, directory),
      (error: unknown) => error instanceof ConfigError && error.message.includes('CHAT4ALL_ENV_FILE') && error.message.includes('missing.env'),
    );
  });
});

/**
 * The variables the hub reads, from its one reader of the environment: every `env.NAME` and every quoted
 * upper-case name config.ts passes to its parsers, but for the values a setting takes (PLAIN). A variable read
 * some other way would not be found: the floor below notices a scan that stopped finding them.
 */
const CONFIG_VARIABLES = [
  ...new Set([...read('src/config.ts').matchAll(/env\.([A-Z][A-Z0-9_]+)|'([A-Z][A-Z0-9_]{2,})'/g)].map((match) => (match[1] ?? match[2])!)),
].filter((name) => !(SASL_MECHANISMS as readonly string[]).includes(name));

describe('.env.example', () => {
  const example = read('.env.example');
  /** Names set on a line of their own, commented out (`# NAME=default`) or not. */
  const listed = new Set([...example.matchAll(/^(?:# )?([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]!));

  it('the scan of config.ts finds the variables it reads', () => {
    assert.ok(CONFIG_VARIABLES.length >= 60, CONFIG_VARIABLES.join(', '));
    for (const known of ['DATABASE_URL', 'KAFKA_BOOTSTRAP_SERVERS', 'S3_ENDPOINT', 'CHAT4ALL_TUNE_FOR', 'NODE_ENV', 'CHAT4ALL_CORS_ORIGINS']) {
      assert.ok(CONFIG_VARIABLES.includes(known), known);
    }
  });

  it('lists every variable config.ts reads', () => {
    assert.deepEqual(CONFIG_VARIABLES.filter((name) => !listed.has(name)), []);
  });

  it('lists nothing neither the hub nor docker-compose.yml reads', () => {
    const compose = read('docker-compose.yml');
    assert.deepEqual([...listed].filter((name) => !CONFIG_VARIABLES.includes(name) && !compose.includes(`\${${name}:`)), []);
  });

  it('describes each of them in the README\'s Configuration table too', () => {
    const readme = read('README.md');
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
    assert.deepEqual(CONFIG_VARIABLES.filter((name) => !table.includes(`\`${name}\``)), []);
  });
});
