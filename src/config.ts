import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import type { HashingLimits } from './app/hashing-queue.ts';
import type { RateLimitName, RateLimitQuota } from './app/rate-limiter.ts';
import { channelNames } from './channels/registry.ts';
import { MAX_CHUNK_SIZE, MIN_CHUNK_SIZE } from './domain/file-rules.ts';
import type { ClaimPolicy } from './domain/identity-claims.ts';
import type { UploadQuota } from './domain/upload-quota.ts';
import { secretWeakness } from './domain/secret-rules.ts';

export interface S3Config {
  endpoint: string;
  /** The endpoint clients reach, for presigned URLs (the same as `endpoint` unless a proxy or container network differs). */
  publicEndpoint: string;
  region: string;
  bucket: string;
  /** Static keys; undefined: the AWS SDK's default credential chain (AWS_* variables, profiles, an IAM role...). */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** Bucket in the path (http://host/bucket/key), as S3-compatible servers want; false: virtual-hosted (bucket.host). */
  forcePathStyle: boolean;
}

/** How the hub's Kafka clients reach a secured cluster (a managed service); nothing for a plain listener. */
export interface KafkaSecurity {
  /** TLS to every broker, verified against `ca` (PEM) or Node's own CA list; `cert` and `key` for mutual TLS. */
  tls: { ca?: string; cert?: string; key?: string } | undefined;
  sasl: { mechanism: SaslMechanism; username: string; password: string } | undefined;
}

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** Where file bytes go: a directory of the hub's own, or an S3-compatible object store. */
export type StorageConfig = { kind: 'disk'; dir: string } | ({ kind: 's3' } & S3Config);

/** Everything the hub can be told from outside. Only this module reads the environment. */
export interface Config {
  /** NODE_ENV=production: weak secrets and demo users are refused. */
  production: boolean;
  host: string;
  port: number;
  /** Where clients reach the hub (a reverse proxy's address): the base of the hub's own upload URLs. */
  publicBaseUrl: string | undefined;
  /** Addresses of reverse proxies whose X-Forwarded-* headers are believed. */
  trustProxy: string[] | undefined;
  /** Origins of the browser apps allowed to call the API across origins (CORS); `*` for any. */
  corsOrigins: string[];
  dataDir: string;
  /** PostgreSQL server to use instead of the embedded database. */
  databaseUrl: string | undefined;
  databasePoolSize: number;
  /** Apache Kafka to use as the bus instead of the embedded one. */
  kafkaBootstrapServers: string[] | undefined;
  /** Prefix of the hub's Kafka topics and consumer groups. */
  kafkaNamespace: string;
  /** TLS and SASL for Kafka. */
  kafkaSecurity: KafkaSecurity;
  logLevel: string;
  demoUsers: boolean;
  bcryptRounds: number;
  /** Access token lifetime: also the longest an ended session must be remembered. */
  tokenTtlSeconds: number;
  /** How long a refresh token works unused (each rotation starts a new one). */
  refreshTokenTtlSeconds: number;
  /** How often an API process reads the revocation log for sessions ended by other processes. */
  revocationPollMs: number;
  /** The key new tokens are signed with; undefined: the one generated and kept in the database. */
  tokenSecret: string | undefined;
  /** Earlier keys, still accepted for verification during a rotation. */
  tokenPreviousSecrets: string[];
  busPartitions: number;
  outboxPartitions: number;
  pollIntervalMs: number;
  leaseTtlMs: number;
  lingerMs: number;
  /** How long users' event feeds are kept for clients to catch up (store-and-forward). */
  eventRetentionHours: number;
  /** How long an Idempotency-Key and the answer it replays are kept. */
  idempotencyKeyTtlHours: number;
  /** How often the API pings WebSocket clients; one that misses a ping is dropped. */
  wsHeartbeatMs: number;
  /** Webhook retries: the first delay (doubling after each failure), and how long after the first attempt to keep on. */
  webhookBackoffBaseMs: number;
  webhookRetryWindowSeconds: number;
  /** How long one webhook attempt may take before it counts as failed. */
  webhookTimeoutMs: number;
  /** Webhook attempts in flight at once per dispatcher process. */
  webhookConcurrency: number;
  /** Webhooks may reach loopback, private, link-local and other non-public addresses (development, tests). */
  webhookAllowPrivateAddresses: boolean;
  mockFailureRates: Record<string, number>;
  mockLatencyMs: Record<string, number>;
  mockDeliveredAfterMs: Record<string, number>;
  /** The channels this deployment runs (each needs its connector running); "all" means these. */
  channels: string[];
  /** How connectors retry a delivery that failed for a transient reason. */
  connectorRetry: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };
  /** When a connector stops sending to a channel that keeps failing, and for how long. */
  circuitBreaker: { threshold: number; cooldownMs: number };
  /** Per channel, the secret its inbound webhooks are signed with. */
  channelWebhookSecrets: Record<string, string>;
  /** How far from now an inbound webhook's signed timestamp may be: the window a captured request could be replayed in. */
  channelWebhookToleranceSeconds: number;
  mockReadAfterMs: Record<string, number>;
  /** How the codes that prove a user owns a channel address behave. */
  identityClaims: ClaimPolicy;
  storage: StorageConfig;
  /** Bytes per upload chunk (the last one is smaller). */
  fileChunkSize: number;
  uploadUrlTtlSeconds: number;
  /** Uploads not completed this long after initiation are aborted by the cleanup role. */
  uploadMaxAgeSeconds: number;
  cleanupIntervalSeconds: number;
  /** What one user may hold in files: uploads open at once, and bytes. */
  uploadQuota: UploadQuota;
  /** Chunk bodies an API process streams at once, per user and in all. */
  chunkConcurrency: { perUser: number; total: number };
  /** Login hashes an API process runs at once, and how many more wait; a login beyond them is refused (503). */
  loginHashing: HashingLimits;
  /** The rate limits in force (one left out is off; none when CHAT4ALL_RATE_LIMITS=off). */
  rateLimits: Partial<Record<RateLimitName, RateLimitQuota>>;
  /** Redis for the rate-limit counters, shared by every API process; unset: each process counts in its own memory. */
  redis: { url: string; keyPrefix: string } | undefined;
  /** What the V8 flags of the API and of the embedded database favour (runtime-flags.ts). */
  tuneFor: Tuning;
  /** Settings that work but should not (weak secrets outside production), for the start-up output. */
  warnings: string[];
}

export type Tuning = 'memory' | 'throughput';

export class ConfigError extends Error {}

/** Pino's levels; an unknown one would stop the logger with a stack trace instead of naming the variable. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

type Env = Record<string, string | undefined>;

/** An empty variable counts as unset, as shells and compose files often leave them. */
const nonEmpty = (rawEnv: Env): Env => Object.fromEntries(Object.entries(rawEnv).filter(([, value]) => value !== ''));

/** What a process's V8 flags depend on: read before anything else loads, since the command restarts itself with them. */
export function runtimeSettings(rawEnv: Env = process.env): { embedded: boolean; tuneFor: Tuning } {
  const env = nonEmpty(rawEnv);
  return { embedded: !env.DATABASE_URL, tuneFor: choice(env, 'CHAT4ALL_TUNE_FOR', ['memory', 'throughput'] as const, 'throughput') };
}

export function loadConfig(rawEnv: Env = process.env): Config {
  const env = nonEmpty(rawEnv);
  const production = env.NODE_ENV === 'production';
  const dataDir = path.resolve(env.CHAT4ALL_DATA_DIR ?? 'data');
  const warnings: string[] = [];
  return {
    production,
    // A developer's hub answers this machine only; in production (a container) it listens on every interface.
    host: env.HOST ?? (production ? '0.0.0.0' : '127.0.0.1'),
    port: integer(env, 'PORT', 8000, 0, 65535),
    publicBaseUrl: publicBaseUrl(env),
    trustProxy: trustProxy(env),
    corsOrigins: corsOrigins(env),
    dataDir,
    databaseUrl: env.DATABASE_URL,
    databasePoolSize: integer(env, 'DATABASE_POOL_SIZE', 10, 1, 1_000),
    kafkaBootstrapServers: env.KAFKA_BOOTSTRAP_SERVERS?.split(',').map((server) => server.trim()).filter(Boolean),
    kafkaNamespace: env.KAFKA_TOPIC_PREFIX ?? '',
    kafkaSecurity: kafkaSecurity(env, warnings),
    logLevel: choice(env, 'LOG_LEVEL', LOG_LEVELS, 'info'),
    demoUsers: demoUsers(env, production),
    bcryptRounds: bcryptRounds(env, production),
    // Short: a refresh gets the next one, and an access token is the one credential checked without the database.
    tokenTtlSeconds: integer(env, 'TOKEN_TTL_SECONDS', 3600, 1, 30 * 24 * 3600),
    refreshTokenTtlSeconds: integer(env, 'CHAT4ALL_REFRESH_TOKEN_TTL_SECONDS', 30 * 24 * 3600, 60, 365 * 24 * 3600),
    revocationPollMs: integer(env, 'CHAT4ALL_REVOCATION_POLL_MS', 1_000, 50, 60_000),
    tokenSecret: checkedSecret('CHAT4ALL_TOKEN_SECRET', env.CHAT4ALL_TOKEN_SECRET, production, warnings),
    tokenPreviousSecrets: (env.CHAT4ALL_TOKEN_PREVIOUS_SECRETS ?? '')
      .split(',')
      .map((secret) => secret.trim())
      .filter(Boolean)
      .map((secret) => checkedSecret('CHAT4ALL_TOKEN_PREVIOUS_SECRETS', secret, production, warnings)),
    busPartitions: integer(env, 'CHAT4ALL_PARTITIONS', 6, 1, 256),
    outboxPartitions: integer(env, 'CHAT4ALL_OUTBOX_PARTITIONS', 6, 1, 256),
    // With a database server, writers are often other processes that cannot wake a poller: poll often (cheap).
    pollIntervalMs: integer(env, 'CHAT4ALL_POLL_INTERVAL_MS', env.DATABASE_URL ? 25 : 200, 5, 60_000),
    leaseTtlMs: integer(env, 'CHAT4ALL_LEASE_TTL_MS', 10_000, 500, 600_000),
    lingerMs: integer(env, 'CHAT4ALL_BATCH_LINGER_MS', 10, 0, 1_000),
    eventRetentionHours: integer(env, 'CHAT4ALL_EVENT_RETENTION_HOURS', 168, 1, 24 * 365),
    idempotencyKeyTtlHours: integer(env, 'CHAT4ALL_IDEMPOTENCY_KEY_TTL_HOURS', 24, 1, 24 * 30),
    wsHeartbeatMs: integer(env, 'CHAT4ALL_WS_HEARTBEAT_MS', 25_000, 100, 600_000),
    webhookBackoffBaseMs: integer(env, 'CHAT4ALL_WEBHOOK_BACKOFF_BASE_MS', 5_000, 10, 3_600_000),
    webhookRetryWindowSeconds: integer(env, 'CHAT4ALL_WEBHOOK_RETRY_WINDOW_SECONDS', 24 * 3600, 1, 30 * 24 * 3600),
    webhookTimeoutMs: integer(env, 'CHAT4ALL_WEBHOOK_TIMEOUT_MS', 10_000, 100, 300_000),
    webhookConcurrency: integer(env, 'CHAT4ALL_WEBHOOK_CONCURRENCY', 16, 1, 1_000),
    webhookAllowPrivateAddresses: webhookAllowPrivateAddresses(env, production, warnings),
    mockFailureRates: perChannel(env, 'CHAT4ALL_MOCK_FAILURE_RATE', 1, '0.3'),
    mockLatencyMs: perChannel(env, 'CHAT4ALL_MOCK_LATENCY_MS', 60_000, '20'),
    channels: registeredChannels(list(env, 'CHAT4ALL_CHANNELS', ['whatsapp', 'instagram'])),
    channelWebhookSecrets: perChannelText(env, 'CHAT4ALL_CHANNEL_SECRETS'),
    channelWebhookToleranceSeconds: integer(env, 'CHAT4ALL_CHANNEL_WEBHOOK_TOLERANCE_SECONDS', 300, 1, 24 * 3600),
    connectorRetry: {
      maxAttempts: integer(env, 'CHAT4ALL_CONNECTOR_MAX_ATTEMPTS', 5, 1, 100),
      baseDelayMs: integer(env, 'CHAT4ALL_CONNECTOR_BACKOFF_MS', 100, 0, 60_000),
      maxDelayMs: integer(env, 'CHAT4ALL_CONNECTOR_MAX_BACKOFF_MS', 5_000, 0, 600_000),
    },
    circuitBreaker: {
      threshold: integer(env, 'CHAT4ALL_CIRCUIT_FAILURES', 10, 1, 10_000),
      cooldownMs: integer(env, 'CHAT4ALL_CIRCUIT_COOLDOWN_MS', 5_000, 0, 600_000),
    },
    mockDeliveredAfterMs: perChannel(env, 'CHAT4ALL_MOCK_DELIVERED_AFTER_MS', 3_600_000, '500'),
    mockReadAfterMs: perChannel(env, 'CHAT4ALL_MOCK_READ_AFTER_MS', 3_600_000, '2000'),
    identityClaims: {
      codeTtlSeconds: integer(env, 'CHAT4ALL_IDENTITY_CODE_TTL_SECONDS', 600, 1, 24 * 3600),
      maxAttempts: integer(env, 'CHAT4ALL_IDENTITY_CODE_ATTEMPTS', 5, 1, 20),
      resendSeconds: integer(env, 'CHAT4ALL_IDENTITY_CODE_RESEND_SECONDS', 60, 0, 24 * 3600),
    },
    storage: storage(env, dataDir),
    fileChunkSize: integer(env, 'CHAT4ALL_FILE_CHUNK_SIZE', 8 * 1024 * 1024, MIN_CHUNK_SIZE, MAX_CHUNK_SIZE),
    // S3 caps presigned URLs at 7 days.
    uploadUrlTtlSeconds: integer(env, 'CHAT4ALL_UPLOAD_URL_TTL_SECONDS', 3600, 1, 7 * 24 * 3600),
    uploadMaxAgeSeconds: integer(env, 'CHAT4ALL_UPLOAD_MAX_AGE_SECONDS', 24 * 3600, 1, 365 * 24 * 3600),
    cleanupIntervalSeconds: integer(env, 'CHAT4ALL_CLEANUP_INTERVAL_SECONDS', 600, 1, 24 * 3600),
    uploadQuota: {
      maxOpenUploads: integer(env, 'CHAT4ALL_USER_MAX_OPEN_UPLOADS', 50, 1, 1_000_000),
      maxStoredBytes: integer(env, 'CHAT4ALL_USER_STORAGE_BYTES', 20 * 1024 ** 3, 1, Number.MAX_SAFE_INTEGER),
    },
    chunkConcurrency: {
      perUser: integer(env, 'CHAT4ALL_USER_CHUNK_UPLOADS', 8, 1, 1_000),
      total: integer(env, 'CHAT4ALL_CHUNK_UPLOADS', 32, 1, 10_000),
    },
    loginHashing: {
      // One core is left to the requests in flight: on 2 cores, libuv's 4 threads all hashing would starve them.
      running: integer(env, 'CHAT4ALL_LOGIN_HASHES', Math.max(1, availableParallelism() - 1), 1, 1_024),
      waiting: integer(env, 'CHAT4ALL_LOGIN_HASH_QUEUE', 16, 0, 100_000),
    },
    rateLimits: rateLimits(env, warnings),
    redis: env.REDIS_URL ? { url: redisUrl(env.REDIS_URL), keyPrefix: env.REDIS_KEY_PREFIX ?? 'chat4all:' } : undefined,
    tuneFor: runtimeSettings(env).tuneFor,
    warnings,
  };
}

/**
 * Defaults for a production messaging API: logins are few (a token lasts an hour) and the address limit leaves room
 * for an office behind one NAT; sends allow an integration's steady 50 messages/s; uploads and webhooks are set-up
 * actions, and chunk requests follow from uploads (a 2 GiB file is 256 chunks of 8 MiB).
 */
const RATE_LIMIT_DEFAULTS: Record<RateLimitName, { variable: string; quota: string }> = {
  loginAddress: { variable: 'CHAT4ALL_RATE_LIMIT_LOGIN_ADDRESS', quota: '60/1m' },
  loginUsername: { variable: 'CHAT4ALL_RATE_LIMIT_LOGIN_USERNAME', quota: '20/5m' },
  sends: { variable: 'CHAT4ALL_RATE_LIMIT_SENDS', quota: '3000/1m' },
  uploads: { variable: 'CHAT4ALL_RATE_LIMIT_UPLOADS', quota: '100/1m' },
  chunks: { variable: 'CHAT4ALL_RATE_LIMIT_CHUNKS', quota: '1200/1m' },
  webhooks: { variable: 'CHAT4ALL_RATE_LIMIT_WEBHOOKS', quota: '60/1h' },
};

function rateLimits(env: Env, warnings: string[]): Partial<Record<RateLimitName, RateLimitQuota>> {
  if (!boolean(env, 'CHAT4ALL_RATE_LIMITS', true)) return {};
  const limits: Partial<Record<RateLimitName, RateLimitQuota>> = {};
  for (const [limit, { variable, quota }] of Object.entries(RATE_LIMIT_DEFAULTS)) {
    const parsed = rateLimitQuota(variable, env[variable] ?? quota);
    if (parsed) limits[limit as RateLimitName] = parsed;
  }
  // Each API process would count on its own: N of them let N times the limits through.
  if (env.DATABASE_URL && !env.REDIS_URL && Object.keys(limits).length > 0) {
    warnings.push('rate limits are counted per API process: set REDIS_URL so that every API process shares the counters');
  }
  return limits;
}

const WINDOW_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** "3000/1m": 3000 requests a minute (the window in s, m or h; bare seconds too); "off": no limit. */
export function rateLimitQuota(name: string, raw: string): RateLimitQuota | undefined {
  if (/^(off|false|0|no)$/i.test(raw.trim())) return undefined;
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*([smh]?)\s*$/.exec(raw);
  const quota = Number(match?.[1]);
  const windowSeconds = Number(match?.[2]) * WINDOW_UNITS[match?.[3] || 's']!;
  if (!match || quota < 1 || quota > 1e9 || windowSeconds < 1 || windowSeconds > 24 * 3600) {
    throw new ConfigError(`${name} must be a number of requests per window of at most 24 h, e.g. 3000/1m, 20/300s or 60/1h, or "off", got "${raw}"`);
  }
  return { quota, windowSeconds };
}

function redisUrl(raw: string): string {
  if (!/^rediss?:\/\/[^/]/.test(raw)) throw new ConfigError(`REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379, got "${raw}"`);
  return raw;
}

/**
 * A weak signing secret lets anyone sign tokens for any user: production refuses to start with one, elsewhere it
 * is a warning. An unset secret is fine: the hub then generates 32 random bytes and keeps them in the database.
 */
function checkedSecret<T extends string | undefined>(name: string, secret: T, production: boolean, warnings: string[]): T {
  const weakness = secret === undefined ? undefined : secretWeakness(secret);
  if (weakness === undefined) return secret;
  const advice = 'use 32 or more random bytes, e.g. openssl rand -base64 48';
  if (production) throw new ConfigError(`${name} ${weakness}: NODE_ENV=production refuses it; ${advice}`);
  warnings.push(`${name} ${weakness}: anyone who guesses it can sign tokens for any user, and NODE_ENV=production would refuse it; ${advice}`);
  return secret;
}

/** Demo users have a published password: production never has them (it disables those it finds, see commands.ts). */
function demoUsers(env: Env, production: boolean): boolean {
  const on = boolean(env, 'CHAT4ALL_DEMO_USERS', !production);
  if (on && production) {
    throw new ConfigError('CHAT4ALL_DEMO_USERS=true is refused with NODE_ENV=production: demo users have a published password');
  }
  return on;
}

/**
 * Off everywhere by default, development included: a hub started without NODE_ENV still refuses to let users aim its
 * webhooks at the machine or network it runs on. Production may allow it (receivers on the hub's own network), with
 * a warning, since then any user can make the hub POST to internal services.
 */
function webhookAllowPrivateAddresses(env: Env, production: boolean, warnings: string[]): boolean {
  const name = 'CHAT4ALL_WEBHOOK_ALLOW_PRIVATE_ADDRESSES';
  const allowed = boolean(env, name, false);
  if (allowed && production) warnings.push(`${name}=true: any user can make the hub POST to this machine and its private network`);
  return allowed;
}

/** Below 10 rounds a stolen hash table falls to guessing quickly: only tests and development may go that low. */
const MIN_PRODUCTION_BCRYPT_ROUNDS = 10;

function bcryptRounds(env: Env, production: boolean): number {
  const rounds = integer(env, 'BCRYPT_ROUNDS', 12, 4, 15);
  if (production && rounds < MIN_PRODUCTION_BCRYPT_ROUNDS) {
    throw new ConfigError(`BCRYPT_ROUNDS=${rounds} is refused with NODE_ENV=production: use ${MIN_PRODUCTION_BCRYPT_ROUNDS} or more`);
  }
  return rounds;
}

/** An origin, optionally with a path prefix (a hub behind a proxy at /chat); kept without its trailing slash. */
function publicBaseUrl(env: Env): string | undefined {
  const raw = env.PUBLIC_BASE_URL;
  if (raw === undefined) return undefined;
  const url = URL.parse(raw);
  if (!url || !['http:', 'https:'].includes(url.protocol) || url.search || url.hash || url.username || url.password) {
    throw new ConfigError(`PUBLIC_BASE_URL must be an http(s) URL without query, fragment or credentials, e.g. https://chat.example.com, got "${raw}"`);
  }
  return url.toString().replace(/\/+$/, '');
}

/** Proxy-addr's names for address ranges, which Fastify's trustProxy understands. */
const TRUST_PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/** Addresses or CIDR ranges only: believing forwarded headers from everyone would let any client pick them. */
function trustProxy(env: Env): string[] | undefined {
  const raw = env.TRUST_PROXY;
  if (raw === undefined) return undefined;
  const entries = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.length === 0 || !entries.every(isProxyAddress)) {
    throw new ConfigError(`TRUST_PROXY must list proxy addresses or ranges, e.g. 10.0.0.5,10.1.0.0/16,loopback, got "${raw}"`);
  }
  return entries;
}

function isProxyAddress(entry: string): boolean {
  if (TRUST_PROXY_RANGES.includes(entry)) return true;
  const [address = '', prefix, extra] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  return prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

/**
 * Origins exactly as browsers send them (scheme, host, port if not the default; no path), or `*`. A typo would
 * never match and fail silently in a browser's console: refused here instead.
 */
function corsOrigins(env: Env): string[] {
  const name = 'CHAT4ALL_CORS_ORIGINS';
  const entries = list(env, name, []);
  for (const entry of entries) {
    if (entry === '*') continue;
    const url = URL.parse(entry);
    if (!url || !['http:', 'https:'].includes(url.protocol) || url.origin !== entry.replace(/\/$/, '')) {
      throw new ConfigError(`${name} must list origins such as https://app.example.com or http://localhost:5173, or *, got "${entry}"`);
    }
  }
  return entries.map((entry) => entry.replace(/\/$/, ''));
}

/**
 * Managed Kafka services take TLS (KAFKA_SSL, with a CA of their own or a public one) and SASL (PLAIN or SCRAM).
 * A file or a user set without what makes it count would change nothing, silently: refused instead.
 */
function kafkaSecurity(env: Env, warnings: string[]): KafkaSecurity {
  const ssl = boolean(env, 'KAFKA_SSL', false);
  const files = { ca: 'KAFKA_SSL_CA_FILE', cert: 'KAFKA_SSL_CERT_FILE', key: 'KAFKA_SSL_KEY_FILE' } as const;
  const tls: NonNullable<KafkaSecurity['tls']> = {};
  for (const [option, name] of Object.entries(files) as Array<[keyof typeof files, string]>) {
    const file = env[name];
    if (file === undefined) continue;
    if (!ssl) throw new ConfigError(`${name} is set but KAFKA_SSL is not true: set KAFKA_SSL=true to connect to Kafka over TLS`);
    tls[option] = readSetting(name, file);
  }
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    throw new ConfigError('KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together: a client certificate and its private key, for mutual TLS');
  }
  const raw = env.KAFKA_SASL_MECHANISM;
  const username = env.KAFKA_SASL_USERNAME;
  const password = env.KAFKA_SASL_PASSWORD;
  if (raw === undefined) {
    if (username !== undefined || password !== undefined) {
      throw new ConfigError(`KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD need KAFKA_SASL_MECHANISM (${SASL_MECHANISMS.join(', ')})`);
    }
    return { tls: ssl ? tls : undefined, sasl: undefined };
  }
  const mechanism = SASL_MECHANISMS.find((known) => known === raw.toUpperCase());
  if (!mechanism) throw new ConfigError(`KAFKA_SASL_MECHANISM must be one of ${SASL_MECHANISMS.join(', ')}, got "${raw}"`);
  if (username === undefined || password === undefined) {
    throw new ConfigError(`KAFKA_SASL_MECHANISM=${mechanism} needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD`);
  }
  // SCRAM proves the password without sending it; PLAIN sends it as it is.
  if (!mechanism.startsWith('SCRAM-') && !ssl) warnings.push('KAFKA_SASL_MECHANISM=PLAIN without KAFKA_SSL=true: the Kafka password crosses the network in clear');
  return { tls: ssl ? tls : undefined, sasl: { mechanism, username, password } };
}

/** A setting that names a file, read now: a path that cannot be read stops the hub naming the variable. */
function readSetting(name: string, file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`${name} names ${file}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

function storage(env: Env, dataDir: string): StorageConfig {
  const endpoint = env.S3_ENDPOINT;
  if (!endpoint) return { kind: 'disk', dir: path.join(dataDir, 'files') };
  const accessKey = env.S3_ACCESS_KEY;
  const secretKey = env.S3_SECRET_KEY;
  // Neither: the SDK finds credentials itself (an IAM role on AWS, AWS_ACCESS_KEY_ID, ~/.aws). One alone is a mistake.
  if ((accessKey === undefined) !== (secretKey === undefined)) {
    throw new ConfigError('S3_ACCESS_KEY and S3_SECRET_KEY go together; set neither to use the AWS default credential chain');
  }
  for (const [name, url] of [['S3_ENDPOINT', endpoint], ['S3_PUBLIC_ENDPOINT', env.S3_PUBLIC_ENDPOINT]] as const) {
    if (url !== undefined && !/^https?:\/\/[^/]+/.test(url)) throw new ConfigError(`${name} must be an http(s) URL, got "${url}"`);
  }
  return {
    kind: 's3',
    endpoint,
    publicEndpoint: env.S3_PUBLIC_ENDPOINT ?? endpoint,
    region: env.S3_REGION ?? 'us-east-1',
    bucket: env.S3_BUCKET ?? 'chat4all-files',
    credentials: accessKey && secretKey ? { accessKeyId: accessKey, secretAccessKey: secretKey } : undefined,
    // Every S3_ENDPOINT is a custom endpoint to the SDK, and S3-compatible servers (MinIO, S3Proxy) want the path
    // style; AWS takes both, and false gives it the virtual-hosted style it recommends.
    forcePathStyle: boolean(env, 'S3_FORCE_PATH_STYLE', true),
  };
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new ConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return value;
}

function choice<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined) return fallback;
  if (!(choices as readonly string[]).includes(raw)) throw new ConfigError(`${name} must be one of ${choices.join(', ')}, got "${raw}"`);
  return raw as T;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name]?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${env[name]}"`);
}

/** Parses "whatsapp=0.3,instagram=1" into per-channel numbers between 0 and `max`. */
function perChannel(env: Env, name: string, max: number, example: string): Record<string, number> {
  const raw = env[name];
  const result: Record<string, number> = {};
  if (!raw) return result;
  for (const entry of raw.split(',')) {
    const [channel, value, extra] = entry.split('=').map((part) => part.trim());
    const number = Number(value);
    if (!channel || !value || extra !== undefined || !(number >= 0 && number <= max)) {
      throw new ConfigError(`${name} entries look like "whatsapp=${example}" with a value in [0, ${max}], got "${entry}"`);
    }
    result[channel] = number;
  }
  return result;
}

/** Parses "whatsapp=s3cret,instagram=other" into per-channel strings (a value may itself hold "="). */
function perChannelText(env: Env, name: string): Record<string, string> {
  const raw = env[name];
  const result: Record<string, string> = {};
  if (!raw) return result;
  for (const entry of raw.split(',')) {
    const at = entry.indexOf('=');
    const channel = entry.slice(0, at).trim();
    const value = entry.slice(at + 1).trim();
    if (at <= 0 || !channel || !value) throw new ConfigError(`${name} entries look like "whatsapp=<secret>", got "${entry}"`);
    result[channel] = value;
  }
  return result;
}

/** Parses "a,b,c" into distinct names. */
function list(env: Env, name: string, fallback: string[]): string[] {
  const raw = env[name];
  if (raw === undefined) return fallback;
  const names = [...new Set(raw.split(',').map((item) => item.trim()).filter(Boolean))];
  if (names.length === 0) throw new ConfigError(`${name} must name at least one item, got "${raw}"`);
  return names;
}

function registeredChannels(names: string[]): string[] {
  const unknown = names.filter((name) => !channelNames.includes(name));
  if (unknown.length > 0) {
    throw new ConfigError(`CHAT4ALL_CHANNELS names unknown channels ${unknown.join(', ')}; known: ${channelNames.join(', ')}`);
  }
  return names;
}
