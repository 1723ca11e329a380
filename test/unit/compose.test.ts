import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { PLACEHOLDER_SECRETS } from '../../src/domain/secret-rules.ts';

/**
 * docker-compose.yml read statically (this machine has no Docker engine): what it would run with, variable
 * interpolations left as written. YAML merge keys (<<: *hub) are resolved as compose resolves them.
 */
const COMPOSE_TEXT = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');
const ENV_EXAMPLE = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');

interface Service {
  build?: unknown;
  image?: string;
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: Array<string | number | { target: number; published?: string | number; host_ip?: string }>;
}

const compose = parse(COMPOSE_TEXT, { merge: true }) as { services: Record<string, Service> };
const services = Object.entries(compose.services);
/** The services that run the hub's image (built here): every role. */
const hubServices = services.filter(([, service]) => service.build !== undefined);

function environment(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((entry) => [entry.split('=')[0]!, entry.slice(entry.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(env).map(([name, value]) => [name, String(value ?? '')]));
}

/** `${NAME:?message}`: compose refuses to start while NAME is unset or empty, and there is no default. */
const required = (name: string) => new RegExp(`^\\$\\{${name}:\\?[^}]+\\}$`);

/** The host address and host port of one `ports` entry (short or long syntax); no host address means every interface. */
function published(entry: string | number | { target: number; published?: string | number; host_ip?: string }): { hostIp: string; hostPort: string; target: string } {
  if (typeof entry === 'object') return { hostIp: entry.host_ip ?? '', hostPort: String(entry.published ?? ''), target: String(entry.target) };
  const text = String(entry).replace(/\/(tcp|udp)$/, '');
  // [IP:][HOST:]CONTAINER, where IP may be a bracketed IPv6 address
  const match = /^(?:(\[[^\]]+\]|[\d.]+):)?(?:(\d*(?:-\d+)?):)?(\d+(?:-\d+)?)$/.exec(text);
  assert.ok(match, `a ports entry compose understands: ${text}`);
  return { hostIp: (match[1] ?? '').replace(/^\[|\]$/g, ''), hostPort: match[2] ?? '', target: match[3]! };
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

describe('docker-compose.yml', () => {
  it('runs the hub\'s image in several services (the test reads what it means to)', () => {
    assert.ok(hubServices.length >= 8, `hub services: ${hubServices.map(([name]) => name).join(', ')}`);
    assert.ok(hubServices.some(([name]) => name === 'api'));
  });

  it('runs every hub service with NODE_ENV=production', () => {
    for (const [name, service] of hubServices) assert.equal(environment(service).NODE_ENV, 'production', name);
  });

  it('turns no demo users on', () => {
    for (const [name, service] of hubServices) {
      const demo = environment(service).CHAT4ALL_DEMO_USERS;
      assert.ok(demo === undefined || /^(false|0|no|off)$/i.test(demo), `${name}: CHAT4ALL_DEMO_USERS=${demo}`);
    }
  });

  it('requires the token secret and the storage credentials, with no default, in every hub service', () => {
    for (const [name, service] of hubServices) {
      const env = environment(service);
      for (const variable of ['CHAT4ALL_TOKEN_SECRET', 'S3_ACCESS_KEY', 'S3_SECRET_KEY']) {
        assert.match(env[variable] ?? '', required(variable), `${name}: ${variable}`);
      }
      assert.match(env.DATABASE_URL ?? '', /^postgres:\/\/[^:/@]+:\$\{POSTGRES_PASSWORD:\?[^}]+\}@/, `${name}: DATABASE_URL's password`);
    }
  });

  it('takes PostgreSQL\'s password and MinIO\'s root user and password from required variables', () => {
    assert.match(environment(compose.services.postgres!).POSTGRES_PASSWORD ?? '', required('POSTGRES_PASSWORD'));
    const minio = environment(compose.services.minio!);
    assert.match(minio.MINIO_ROOT_USER ?? '', required('S3_ACCESS_KEY'));
    assert.match(minio.MINIO_ROOT_PASSWORD ?? '', required('S3_SECRET_KEY'));
  });

  it('gives no secret or credential a value or a default anywhere: each is ${NAME:?…}, or empty when optional', () => {
    for (const [name, service] of services) {
      for (const [variable, value] of Object.entries(environment(service))) {
        if (!/SECRET|PASSWORD|ACCESS_KEY|ROOT_USER|CREDENTIAL|TOKEN/.test(variable)) continue;
        assert.match(value, /^\$\{[A-Z0-9_]+(:\?[^}]+|:-)\}$/, `${name}: ${variable}=${value}`);
      }
    }
  });

  it('sets no variable to a known placeholder secret, as a value or as a default', () => {
    for (const [name, service] of services) {
      for (const [variable, value] of Object.entries(environment(service))) {
        const defaults = [...value.matchAll(/\$\{[A-Z0-9_]+:?-([^}]*)\}/g)].map((match) => match[1]!);
        for (const candidate of [value, ...defaults]) {
          assert.ok(!PLACEHOLDER_SECRETS.includes(candidate.toLowerCase()), `${name}: ${variable} uses a placeholder`);
        }
      }
    }
  });

  it('never mentions MinIO\'s default credentials nor the old token placeholder', () => {
    for (const known of ['minioadmin', 'change-me-to-a-long-random-string']) {
      assert.ok(!COMPOSE_TEXT.toLowerCase().includes(known), `docker-compose.yml contains "${known}"`);
    }
  });

  it('publishes the object storage on loopback only, and not its console', () => {
    const ports = (compose.services.minio!.ports ?? []).map(published);
    assert.ok(ports.length > 0, 'the S3 API is published for presigned URLs');
    for (const port of ports) {
      assert.match(port.hostIp, LOOPBACK, `storage port ${port.target} bound to "${port.hostIp || 'every interface'}"`);
      assert.notEqual(port.target, '9001', 'the MinIO console is not published');
    }
  });

  it('publishes nothing but the API on every interface', () => {
    for (const [name, service] of services) {
      for (const port of (service.ports ?? []).map(published)) {
        if (name === 'api') continue;
        assert.match(port.hostIp, LOOPBACK, `${name}: port ${port.target} bound to "${port.hostIp || 'every interface'}"`);
      }
    }
  });
});

describe('.env.example', () => {
  const requiredVariables = [...COMPOSE_TEXT.matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((match) => match[1]!);
  const values = Object.fromEntries(
    ENV_EXAMPLE.split('\n')
      .filter((line) => /^[A-Z0-9_]+=/.test(line))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );

  it('lists every variable docker-compose.yml requires', () => {
    assert.ok(requiredVariables.length >= 4, requiredVariables.join(', '));
    for (const variable of new Set(requiredVariables)) assert.ok(variable in values, `.env.example lists ${variable}`);
  });

  it('leaves them empty, so a copy used as is stops compose instead of running on a value everyone knows', () => {
    for (const variable of new Set(requiredVariables)) assert.equal(values[variable], '', variable);
  });
});
