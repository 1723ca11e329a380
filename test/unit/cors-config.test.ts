import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

describe('loadConfig: CHAT4ALL_CORS_ORIGINS', () => {
  it('allows no origin by default: no CORS headers at all', () => {
    assert.deepEqual(loadConfig({}).corsOrigins, []);
    assert.deepEqual(loadConfig({ CHAT4ALL_CORS_ORIGINS: '' }).corsOrigins, []);
  });

  it('reads a comma list of origins, trimmed, without a trailing slash, each once', () => {
    const origins = loadConfig({ CHAT4ALL_CORS_ORIGINS: 'https://app.example.com, http://localhost:5173/,https://app.example.com' }).corsOrigins;
    assert.deepEqual(origins, ['https://app.example.com', 'http://localhost:5173']);
  });

  it('takes * for any origin', () => {
    assert.deepEqual(loadConfig({ CHAT4ALL_CORS_ORIGINS: '*' }).corsOrigins, ['*']);
  });

  it('refuses what a browser never sends as an origin, naming the variable', () => {
    for (const bad of ['app.example.com', 'https://app.example.com/path', 'ftp://app.example.com', 'https://APP.example.com', 'https://app.example.com:443']) {
      assert.throws(
        () => loadConfig({ CHAT4ALL_CORS_ORIGINS: bad }),
        (error: unknown) => error instanceof ConfigError && error.message.includes('CHAT4ALL_CORS_ORIGINS') && error.message.includes(bad),
        bad,
      );
    }
  });
});
