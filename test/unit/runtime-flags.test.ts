import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runtimeFlags } from '../../src/runtime-flags.ts';

const MEMORY = { CHAT4ALL_TUNE_FOR: 'memory' };
const POSTGRES = { ...MEMORY, DATABASE_URL: 'postgres://127.0.0.1/test' };

describe('runtimeFlags (CHAT4ALL_TUNE_FOR=memory)', () => {
  it('gives the embedded hub (npm start) a small young generation, a slow-growing heap that counts external memory, and the baseline WebAssembly compiler', () => {
    assert.deepEqual(runtimeFlags('start', MEMORY), ['--max-semi-space-size=1', '--heap-growing-percent=100', '--external-memory-accounted-in-global-limit', '--liftoff-only']);
  });

  it('gives the API on PostgreSQL only the small young generation and the slow-growing heap that counts external memory', () => {
    assert.deepEqual(runtimeFlags('api', POSTGRES), [
      '--max-semi-space-size=1',
      '--heap-growing-percent=100',
      '--external-memory-accounted-in-global-limit',
    ]);
  });

  it('gives roles without the API on PostgreSQL no flags', () => {
    for (const command of ['relay', 'router', 'notifier', 'webhooks', 'connector', 'cleanup']) {
      assert.deepEqual(runtimeFlags(command, POSTGRES), [], command);
    }
  });

  it('gives any command on the embedded database the baseline WebAssembly compiler', () => {
    assert.deepEqual(runtimeFlags('user', MEMORY), ['--liftoff-only']);
  });

  it('gives the embedded hub and the pipeline roles no flags by default (CHAT4ALL_TUNE_FOR=throughput)', () => {
    assert.deepEqual(runtimeFlags('start', {}), []);
    assert.deepEqual(runtimeFlags('api', {}), []);
    assert.deepEqual(runtimeFlags('router', { DATABASE_URL: 'postgres://127.0.0.1/test' }), []);
  });

  it('gives the API alone on PostgreSQL a 4 MiB young generation by default, where no pipeline shares its heap', () => {
    assert.deepEqual(runtimeFlags('api', { DATABASE_URL: 'postgres://127.0.0.1/test' }), ['--max-semi-space-size=4']);
  });

  it('leaves a bad CHAT4ALL_TUNE_FOR to the command, which reports it with the rest of the configuration', () => {
    assert.deepEqual(runtimeFlags('start', { CHAT4ALL_TUNE_FOR: 'speed' }), []);
  });
});
