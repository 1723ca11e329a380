import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.ts';

/** Asserts loadConfig(env) throws a ConfigError whose message names `variable`. */
function assertConfigError(env: Record<string, string>, variable: string): void {
  assert.throws(
    () => loadConfig(env),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
      assert.ok(error.message.includes(variable), `"${error.message}" names ${variable}`);
      return true;
    },
  );
}

describe('loadConfig defaults', () => {
  it('listens on port 8000', () => {
    assert.equal(loadConfig({}).port, 8000);
  });

  it('listens on 127.0.0.1 only outside production: a developer\'s hub is not reachable from the network', () => {
    assert.equal(loadConfig({}).host, '127.0.0.1');
    assert.equal(loadConfig({ NODE_ENV: 'development' }).host, '127.0.0.1');
  });

  it('listens on every interface (0.0.0.0) in production, where it runs in a container', () => {
    assert.equal(loadConfig({ NODE_ENV: 'production' }).host, '0.0.0.0');
  });

  it('treats an empty HOST as unset', () => {
    assert.equal(loadConfig({ HOST: '' }).host, '127.0.0.1');
  });

  it('keeps data in ./data, resolved to an absolute path', () => {
    assert.equal(loadConfig({}).dataDir, path.resolve(process.cwd(), 'data'));
  });

  it('creates demo users outside production', () => {
    assert.equal(loadConfig({}).demoUsers, true);
  });

  it('creates no demo users when NODE_ENV=production', () => {
    assert.equal(loadConfig({ NODE_ENV: 'production' }).demoUsers, false);
  });

  it('creates demo users when NODE_ENV is development', () => {
    assert.equal(loadConfig({ NODE_ENV: 'development' }).demoUsers, true);
  });

  it('has no mock failure rates or latencies', () => {
    const config = loadConfig({});
    assert.deepEqual(config.mockFailureRates, {});
    assert.deepEqual(config.mockLatencyMs, {});
  });

  it('has no token secret', () => {
    assert.equal(loadConfig({}).tokenSecret, undefined);
  });

  it('uses 6 bus partitions and 6 outbox partitions', () => {
    const config = loadConfig({});
    assert.deepEqual([config.busPartitions, config.outboxPartitions], [6, 6]);
  });

  it('treats an empty PORT as unset', () => {
    assert.equal(loadConfig({ PORT: '' }).port, 8000);
  });

  it('treats an empty CHAT4ALL_DEMO_USERS as unset', () => {
    assert.equal(loadConfig({ CHAT4ALL_DEMO_USERS: '' }).demoUsers, true);
  });

  it('treats an empty CHAT4ALL_TOKEN_SECRET as unset', () => {
    assert.equal(loadConfig({ CHAT4ALL_TOKEN_SECRET: '' }).tokenSecret, undefined);
  });
});

describe('loadConfig knows production', () => {
  it('is production with NODE_ENV=production only', () => {
    assert.equal(loadConfig({ NODE_ENV: 'production' }).production, true);
    for (const value of ['development', 'test', 'Production', '']) assert.equal(loadConfig({ NODE_ENV: value }).production, false, value);
  });
});

describe('loadConfig from the environment', () => {
  it('reads PORT', () => {
    assert.equal(loadConfig({ PORT: '9090' }).port, 9090);
  });

  it('reads HOST', () => {
    assert.equal(loadConfig({ HOST: '0.0.0.0' }).host, '0.0.0.0');
    assert.equal(loadConfig({ HOST: '192.0.2.7', NODE_ENV: 'production' }).host, '192.0.2.7');
  });

  it('resolves a relative CHAT4ALL_DATA_DIR against the working directory', () => {
    assert.equal(loadConfig({ CHAT4ALL_DATA_DIR: 'var/chat' }).dataDir, path.resolve(process.cwd(), 'var/chat'));
  });

  it('keeps an absolute CHAT4ALL_DATA_DIR', () => {
    assert.equal(loadConfig({ CHAT4ALL_DATA_DIR: '/srv/chat4all' }).dataDir, path.resolve('/srv/chat4all'));
  });

  it('turns demo users off with CHAT4ALL_DEMO_USERS=false', () => {
    assert.equal(loadConfig({ CHAT4ALL_DEMO_USERS: 'false' }).demoUsers, false);
  });

  it('refuses CHAT4ALL_DEMO_USERS=true in production (demo users have a published password)', () => {
    assertConfigError({ NODE_ENV: 'production', CHAT4ALL_DEMO_USERS: 'true' }, 'CHAT4ALL_DEMO_USERS');
  });

  it('accepts CHAT4ALL_DEMO_USERS=false in production', () => {
    assert.equal(loadConfig({ NODE_ENV: 'production', CHAT4ALL_DEMO_USERS: 'false' }).demoUsers, false);
  });

  it('reads booleans case-insensitively (FALSE, Off, No, 0)', () => {
    for (const value of ['FALSE', 'Off', 'No', '0']) {
      assert.equal(loadConfig({ CHAT4ALL_DEMO_USERS: value }).demoUsers, false, value);
    }
  });

  it('reads the token secret', () => {
    assert.equal(loadConfig({ CHAT4ALL_TOKEN_SECRET: 's3cret' }).tokenSecret, 's3cret');
  });

  it('reads previous token secrets, comma-separated, trimmed, empty entries dropped', () => {
    const config = loadConfig({ CHAT4ALL_TOKEN_PREVIOUS_SECRETS: ` ${STRONG_A} ,,${STRONG_B}` });
    assert.deepEqual(config.tokenPreviousSecrets, [STRONG_A, STRONG_B]);
    assert.deepEqual(loadConfig({}).tokenPreviousSecrets, []);
  });
});

const STRONG_A = 'Zr0m6b1Q9mVv3x8kq2B7yJc4Tn5Lw0Pe';
const STRONG_B = 'another-random-enough-secret-of-40-bytes!';

describe('token secrets in production (NODE_ENV=production)', () => {
  const production = (env: Record<string, string>) => ({ NODE_ENV: 'production', ...env });

  it('refuses a CHAT4ALL_TOKEN_SECRET under 32 bytes', () => {
    assertConfigError(production({ CHAT4ALL_TOKEN_SECRET: 'a' }), 'CHAT4ALL_TOKEN_SECRET');
    assertConfigError(production({ CHAT4ALL_TOKEN_SECRET: STRONG_A.slice(1) }), 'CHAT4ALL_TOKEN_SECRET');
  });

  it('counts bytes, not characters: 16 two-byte characters are enough', () => {
    assert.equal(loadConfig(production({ CHAT4ALL_TOKEN_SECRET: 'é'.repeat(16) })).tokenSecret, 'é'.repeat(16));
  });

  it('refuses known placeholders whatever their case', () => {
    for (const placeholder of ['change-me-to-a-long-random-string', 'CHANGE-ME-TO-A-LONG-RANDOM-STRING', 'changeme', 'Secret', 'change-me']) {
      assertConfigError(production({ CHAT4ALL_TOKEN_SECRET: placeholder }), 'CHAT4ALL_TOKEN_SECRET');
    }
  });

  it('never repeats the refused secret in the message', () => {
    assert.throws(
      () => loadConfig(production({ CHAT4ALL_TOKEN_SECRET: 'change-me-to-a-long-random-string' })),
      (error: unknown) => error instanceof ConfigError && !error.message.includes('change-me-to-a-long-random-string'),
    );
  });

  it('accepts a secret of 32 bytes or more', () => {
    assert.equal(loadConfig(production({ CHAT4ALL_TOKEN_SECRET: STRONG_A })).tokenSecret, STRONG_A);
  });

  it('accepts no secret at all: the hub generates one and keeps it in the database', () => {
    assert.equal(loadConfig(production({})).tokenSecret, undefined);
  });

  it('refuses a weak previous secret, naming CHAT4ALL_TOKEN_PREVIOUS_SECRETS', () => {
    assertConfigError(production({ CHAT4ALL_TOKEN_SECRET: STRONG_A, CHAT4ALL_TOKEN_PREVIOUS_SECRETS: `${STRONG_B},short` }), 'CHAT4ALL_TOKEN_PREVIOUS_SECRETS');
    assertConfigError(production({ CHAT4ALL_TOKEN_PREVIOUS_SECRETS: 'changeme' }), 'CHAT4ALL_TOKEN_PREVIOUS_SECRETS');
  });

  it('has no warnings with strong secrets', () => {
    assert.deepEqual(loadConfig(production({ CHAT4ALL_TOKEN_SECRET: STRONG_A, CHAT4ALL_TOKEN_PREVIOUS_SECRETS: STRONG_B })).warnings, []);
  });
});

describe('token secrets outside production', () => {
  it('accepts a weak secret with a warning naming the variable', () => {
    const config = loadConfig({ CHAT4ALL_TOKEN_SECRET: 'a', CHAT4ALL_TOKEN_PREVIOUS_SECRETS: 'changeme' });
    assert.equal(config.tokenSecret, 'a');
    assert.equal(config.warnings.length, 2);
    assert.match(config.warnings[0]!, /CHAT4ALL_TOKEN_SECRET/);
    assert.match(config.warnings[1]!, /CHAT4ALL_TOKEN_PREVIOUS_SECRETS/);
  });

  it('has no warnings by default', () => {
    assert.deepEqual(loadConfig({}).warnings, []);
  });
});

describe('loadConfig rejects invalid values with a ConfigError naming the variable', () => {
  it('rejects a non-numeric PORT', () => {
    assertConfigError({ PORT: 'eighty' }, 'PORT');
  });

  it('rejects a fractional PORT', () => {
    assertConfigError({ PORT: '80.5' }, 'PORT');
  });

  it('rejects PORT above 65535', () => {
    assertConfigError({ PORT: '65536' }, 'PORT');
  });

  it('rejects a negative PORT', () => {
    assertConfigError({ PORT: '-1' }, 'PORT');
  });

  it('accepts PORT 65535, the maximum', () => {
    assert.equal(loadConfig({ PORT: '65535' }).port, 65535);
  });

  it('rejects a CHAT4ALL_DEMO_USERS that is not a boolean word', () => {
    assertConfigError({ CHAT4ALL_DEMO_USERS: 'maybe' }, 'CHAT4ALL_DEMO_USERS');
  });

  it('rejects BCRYPT_ROUNDS below 4', () => {
    assertConfigError({ BCRYPT_ROUNDS: '3' }, 'BCRYPT_ROUNDS');
  });

  it('gives access tokens 1 hour (FR-003), refresh tokens 30 days, and polls revocations every second by default', () => {
    const config = loadConfig({});
    assert.deepEqual(
      { access: config.tokenTtlSeconds, refresh: config.refreshTokenTtlSeconds, poll: config.revocationPollMs },
      { access: 3600, refresh: 30 * 24 * 3600, poll: 1_000 },
    );
  });

  it('reads TOKEN_TTL_SECONDS, CHAT4ALL_REFRESH_TOKEN_TTL_SECONDS and CHAT4ALL_REVOCATION_POLL_MS', () => {
    const config = loadConfig({ TOKEN_TTL_SECONDS: '3600', CHAT4ALL_REFRESH_TOKEN_TTL_SECONDS: '86400', CHAT4ALL_REVOCATION_POLL_MS: '250' });
    assert.deepEqual([config.tokenTtlSeconds, config.refreshTokenTtlSeconds, config.revocationPollMs], [3600, 86400, 250]);
  });

  it('refuses a refresh lifetime under a minute and a revocation poll under 50 ms or over a minute', () => {
    assertConfigError({ CHAT4ALL_REFRESH_TOKEN_TTL_SECONDS: '59' }, 'CHAT4ALL_REFRESH_TOKEN_TTL_SECONDS');
    assertConfigError({ CHAT4ALL_REVOCATION_POLL_MS: '10' }, 'CHAT4ALL_REVOCATION_POLL_MS');
    assertConfigError({ CHAT4ALL_REVOCATION_POLL_MS: '60001' }, 'CHAT4ALL_REVOCATION_POLL_MS');
  });

  it('rejects TOKEN_TTL_SECONDS of 0', () => {
    assertConfigError({ TOKEN_TTL_SECONDS: '0' }, 'TOKEN_TTL_SECONDS');
  });

  it('rejects CHAT4ALL_PARTITIONS of 0', () => {
    assertConfigError({ CHAT4ALL_PARTITIONS: '0' }, 'CHAT4ALL_PARTITIONS');
  });

  it('rejects CHAT4ALL_OUTBOX_PARTITIONS above 256', () => {
    assertConfigError({ CHAT4ALL_OUTBOX_PARTITIONS: '257' }, 'CHAT4ALL_OUTBOX_PARTITIONS');
  });

  it('rejects CHAT4ALL_POLL_INTERVAL_MS below 5', () => {
    assertConfigError({ CHAT4ALL_POLL_INTERVAL_MS: '4' }, 'CHAT4ALL_POLL_INTERVAL_MS');
  });

  it('rejects CHAT4ALL_LEASE_TTL_MS below 500', () => {
    assertConfigError({ CHAT4ALL_LEASE_TTL_MS: '499' }, 'CHAT4ALL_LEASE_TTL_MS');
  });

  it('rejects CHAT4ALL_BATCH_LINGER_MS above 1000', () => {
    assertConfigError({ CHAT4ALL_BATCH_LINGER_MS: '1001' }, 'CHAT4ALL_BATCH_LINGER_MS');
  });
});

describe('loadConfig: CHAT4ALL_MOCK_FAILURE_RATE', () => {
  it('reads one channel=rate entry', () => {
    assert.deepEqual(loadConfig({ CHAT4ALL_MOCK_FAILURE_RATE: 'whatsapp=0.3' }).mockFailureRates, { whatsapp: 0.3 });
  });

  it('reads several comma-separated entries, ignoring spaces around names and values', () => {
    const config = loadConfig({ CHAT4ALL_MOCK_FAILURE_RATE: 'whatsapp=0.3, instagram = 1' });
    assert.deepEqual(config.mockFailureRates, { whatsapp: 0.3, instagram: 1 });
  });

  it('accepts the bounds 0 and 1', () => {
    const config = loadConfig({ CHAT4ALL_MOCK_FAILURE_RATE: 'whatsapp=0,instagram=1' });
    assert.deepEqual(config.mockFailureRates, { whatsapp: 0, instagram: 1 });
  });

  it('rejects a rate above 1', () => {
    assertConfigError({ CHAT4ALL_MOCK_FAILURE_RATE: 'whatsapp=1.5' }, 'CHAT4ALL_MOCK_FAILURE_RATE');
  });

  it('rejects a negative rate', () => {
    assertConfigError({ CHAT4ALL_MOCK_FAILURE_RATE: 'whatsapp=-0.1' }, 'CHAT4ALL_MOCK_FAILURE_RATE');
  });

  it('rejects a non-numeric rate', () => {
    assertConfigError({ CHAT4ALL_MOCK_FAILURE_RATE: 'whatsapp=high' }, 'CHAT4ALL_MOCK_FAILURE_RATE');
  });

  it('rejects an entry without "="', () => {
    assertConfigError({ CHAT4ALL_MOCK_FAILURE_RATE: 'whatsapp' }, 'CHAT4ALL_MOCK_FAILURE_RATE');
  });

  it('rejects an entry with an empty value', () => {
    assertConfigError({ CHAT4ALL_MOCK_FAILURE_RATE: 'whatsapp=' }, 'CHAT4ALL_MOCK_FAILURE_RATE');
  });

  it('rejects an entry with an empty channel name', () => {
    assertConfigError({ CHAT4ALL_MOCK_FAILURE_RATE: '=0.5' }, 'CHAT4ALL_MOCK_FAILURE_RATE');
  });

  it('rejects an empty entry between commas', () => {
    assertConfigError({ CHAT4ALL_MOCK_FAILURE_RATE: 'whatsapp=0.3,,instagram=1' }, 'CHAT4ALL_MOCK_FAILURE_RATE');
  });

  it('quotes the bad entry in the error message', () => {
    assert.throws(() => loadConfig({ CHAT4ALL_MOCK_FAILURE_RATE: 'whatsapp=0.3,instagram=7' }), /"instagram=7"/);
  });

  it('treats an empty value as no entries', () => {
    assert.deepEqual(loadConfig({ CHAT4ALL_MOCK_FAILURE_RATE: '' }).mockFailureRates, {});
  });
});

describe('loadConfig: CHAT4ALL_MOCK_LATENCY_MS', () => {
  it('reads channel=milliseconds entries', () => {
    const config = loadConfig({ CHAT4ALL_MOCK_LATENCY_MS: 'whatsapp=20,instagram=250' });
    assert.deepEqual(config.mockLatencyMs, { whatsapp: 20, instagram: 250 });
  });

  it('accepts 60000 ms, the maximum', () => {
    assert.deepEqual(loadConfig({ CHAT4ALL_MOCK_LATENCY_MS: 'whatsapp=60000' }).mockLatencyMs, { whatsapp: 60_000 });
  });

  it('rejects more than 60000 ms', () => {
    assertConfigError({ CHAT4ALL_MOCK_LATENCY_MS: 'whatsapp=60001' }, 'CHAT4ALL_MOCK_LATENCY_MS');
  });

  it('rejects a negative latency', () => {
    assertConfigError({ CHAT4ALL_MOCK_LATENCY_MS: 'whatsapp=-5' }, 'CHAT4ALL_MOCK_LATENCY_MS');
  });

  it('rejects a non-numeric latency', () => {
    assertConfigError({ CHAT4ALL_MOCK_LATENCY_MS: 'whatsapp=fast' }, 'CHAT4ALL_MOCK_LATENCY_MS');
  });

  it('does not mix latencies into failure rates', () => {
    const config = loadConfig({ CHAT4ALL_MOCK_LATENCY_MS: 'whatsapp=20' });
    assert.deepEqual(config.mockFailureRates, {});
  });
});

describe('loadConfig: webhooks', () => {
  it('retries from 5 s for 24 h, with 10 s attempts, 16 at a time by default', () => {
    const config = loadConfig({});
    assert.deepEqual(
      [config.webhookBackoffBaseMs, config.webhookRetryWindowSeconds, config.webhookTimeoutMs, config.webhookConcurrency],
      [5_000, 86_400, 10_000, 16],
    );
  });

  it('reads the four webhook variables', () => {
    const config = loadConfig({
      CHAT4ALL_WEBHOOK_BACKOFF_BASE_MS: '50',
      CHAT4ALL_WEBHOOK_RETRY_WINDOW_SECONDS: '2',
      CHAT4ALL_WEBHOOK_TIMEOUT_MS: '500',
      CHAT4ALL_WEBHOOK_CONCURRENCY: '4',
    });
    assert.deepEqual(
      [config.webhookBackoffBaseMs, config.webhookRetryWindowSeconds, config.webhookTimeoutMs, config.webhookConcurrency],
      [50, 2, 500, 4],
    );
  });

  it('rejects a retry window of 0 seconds', () => {
    assertConfigError({ CHAT4ALL_WEBHOOK_RETRY_WINDOW_SECONDS: '0' }, 'CHAT4ALL_WEBHOOK_RETRY_WINDOW_SECONDS');
  });

  it('rejects a concurrency of 0', () => {
    assertConfigError({ CHAT4ALL_WEBHOOK_CONCURRENCY: '0' }, 'CHAT4ALL_WEBHOOK_CONCURRENCY');
  });

  it('refuses non-public webhook addresses by default, development included', () => {
    assert.equal(loadConfig({}).webhookAllowPrivateAddresses, false);
    assert.equal(loadConfig({ NODE_ENV: 'development' }).webhookAllowPrivateAddresses, false);
  });

  it('allows them with CHAT4ALL_WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true, silently outside production', () => {
    const config = loadConfig({ CHAT4ALL_WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true' });
    assert.equal(config.webhookAllowPrivateAddresses, true);
    assert.deepEqual(config.warnings, []);
  });

  it('allows them in production too, with a warning naming the variable', () => {
    const config = loadConfig({ NODE_ENV: 'production', CHAT4ALL_WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true' });
    assert.equal(config.webhookAllowPrivateAddresses, true);
    assert.equal(config.warnings.length, 1);
    assert.match(config.warnings[0]!, /CHAT4ALL_WEBHOOK_ALLOW_PRIVATE_ADDRESSES/);
  });

  it('rejects a CHAT4ALL_WEBHOOK_ALLOW_PRIVATE_ADDRESSES that is not a boolean', () => {
    assertConfigError({ CHAT4ALL_WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'maybe' }, 'CHAT4ALL_WEBHOOK_ALLOW_PRIVATE_ADDRESSES');
  });
});

describe('loadConfig: tuning', () => {
  it('tunes for throughput by default', () => {
    assert.equal(loadConfig({}).tuneFor, 'throughput');
  });

  it('reads CHAT4ALL_TUNE_FOR=memory', () => {
    assert.equal(loadConfig({ CHAT4ALL_TUNE_FOR: 'memory' }).tuneFor, 'memory');
  });

  it('rejects an unknown tuning', () => {
    assertConfigError({ CHAT4ALL_TUNE_FOR: 'speed' }, 'CHAT4ALL_TUNE_FOR');
  });
});

describe('loadConfig: bcrypt cost', () => {
  it('refuses BCRYPT_ROUNDS under 10 in production', () => {
    assertConfigError({ NODE_ENV: 'production', BCRYPT_ROUNDS: '9' }, 'BCRYPT_ROUNDS');
  });

  it('takes BCRYPT_ROUNDS=10 in production', () => {
    assert.equal(loadConfig({ NODE_ENV: 'production', BCRYPT_ROUNDS: '10' }).bcryptRounds, 10);
  });

  it('takes BCRYPT_ROUNDS=4 outside production (tests)', () => {
    assert.equal(loadConfig({ BCRYPT_ROUNDS: '4' }).bcryptRounds, 4);
  });
});

describe('loadConfig: the login hashing queue', () => {
  it('runs one login check per core but one, at least one, with 16 waiting by default', () => {
    const { running, waiting } = loadConfig({}).loginHashing;
    assert.equal(running, Math.max(1, availableParallelism() - 1));
    assert.equal(waiting, 16);
  });

  it('reads CHAT4ALL_LOGIN_HASHES and CHAT4ALL_LOGIN_HASH_QUEUE, where no waiting room is allowed', () => {
    const config = loadConfig({ CHAT4ALL_LOGIN_HASHES: '4', CHAT4ALL_LOGIN_HASH_QUEUE: '0' });
    assert.deepEqual(config.loginHashing, { running: 4, waiting: 0 });
  });

  it('refuses CHAT4ALL_LOGIN_HASHES=0, which would refuse every login', () => {
    assertConfigError({ CHAT4ALL_LOGIN_HASHES: '0' }, 'CHAT4ALL_LOGIN_HASHES');
  });
});

describe('loadConfig: the public address', () => {
  it('has no PUBLIC_BASE_URL by default', () => {
    assert.equal(loadConfig({}).publicBaseUrl, undefined);
  });

  it('keeps a PUBLIC_BASE_URL path prefix, without its trailing slash', () => {
    assert.equal(loadConfig({ PUBLIC_BASE_URL: 'https://chat.example.com/hub/' }).publicBaseUrl, 'https://chat.example.com/hub');
  });

  for (const value of ['chat.example.com', 'ftp://chat.example.com', 'https://chat.example.com/?a=1', 'https://user:pw@chat.example.com']) {
    it(`refuses PUBLIC_BASE_URL=${value}`, () => assertConfigError({ PUBLIC_BASE_URL: value }, 'PUBLIC_BASE_URL'));
  }

  it('trusts no proxy by default', () => {
    assert.equal(loadConfig({}).trustProxy, undefined);
  });

  it('takes TRUST_PROXY addresses, CIDR ranges and named ranges', () => {
    assert.deepEqual(loadConfig({ TRUST_PROXY: '10.0.0.5, 10.1.0.0/16,fd00::/8,loopback' }).trustProxy, ['10.0.0.5', '10.1.0.0/16', 'fd00::/8', 'loopback']);
  });

  for (const value of ['true', '*', '10.0.0.0/33', 'proxy.example.com', ',']) {
    it(`refuses TRUST_PROXY=${value}`, () => assertConfigError({ TRUST_PROXY: value }, 'TRUST_PROXY'));
  }
});

describe('loadConfig: the inbound webhook replay window', () => {
  it('takes inbound webhooks signed up to 5 minutes from now by default', () => {
    assert.equal(loadConfig({}).channelWebhookToleranceSeconds, 300);
  });

  it('reads CHAT4ALL_CHANNEL_WEBHOOK_TOLERANCE_SECONDS, and refuses 0', () => {
    assert.equal(loadConfig({ CHAT4ALL_CHANNEL_WEBHOOK_TOLERANCE_SECONDS: '60' }).channelWebhookToleranceSeconds, 60);
    assertConfigError({ CHAT4ALL_CHANNEL_WEBHOOK_TOLERANCE_SECONDS: '0' }, 'CHAT4ALL_CHANNEL_WEBHOOK_TOLERANCE_SECONDS');
  });
});

describe('loadConfig: identity verification codes', () => {
  it('defaults to codes that hold 10 minutes, take 5 attempts and go out at most once a minute per user and channel', () => {
    assert.deepEqual(loadConfig({}).identityClaims, { codeTtlSeconds: 600, maxAttempts: 5, resendSeconds: 60 });
  });

  it('reads the three settings, allows no resend interval, and refuses a TTL or attempts of 0', () => {
    const env = { CHAT4ALL_IDENTITY_CODE_TTL_SECONDS: '120', CHAT4ALL_IDENTITY_CODE_ATTEMPTS: '3', CHAT4ALL_IDENTITY_CODE_RESEND_SECONDS: '0' };
    assert.deepEqual(loadConfig(env).identityClaims, { codeTtlSeconds: 120, maxAttempts: 3, resendSeconds: 0 });
    assertConfigError({ CHAT4ALL_IDENTITY_CODE_TTL_SECONDS: '0' }, 'CHAT4ALL_IDENTITY_CODE_TTL_SECONDS');
    assertConfigError({ CHAT4ALL_IDENTITY_CODE_ATTEMPTS: '0' }, 'CHAT4ALL_IDENTITY_CODE_ATTEMPTS');
    assertConfigError({ CHAT4ALL_IDENTITY_CODE_RESEND_SECONDS: 'soon' }, 'CHAT4ALL_IDENTITY_CODE_RESEND_SECONDS');
  });
});
