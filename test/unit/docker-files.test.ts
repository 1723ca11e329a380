import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import { DCLinter } from 'dclint';
import { validate as lintDockerfile } from 'dockerfile-utils';
import { parse } from 'yaml';

/**
 * The Dockerfile, .dockerignore and docker-compose.yml checked statically: this machine has no Docker engine. A
 * linter each (dockerfile-utils, the Dockerfile validator of VS Code's Docker tooling; dclint, which validates against
 * the compose-spec JSON schema it ships), the schema again with ajv, and the rules of this project.
 * hadolint is a Haskell binary, in neither Debian nor npm without a download at install time.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string) => readFileSync(`${ROOT}${file}`, 'utf8');

const DOCKERFILE = read('Dockerfile');
const DOCKERIGNORE = read('.dockerignore');
const COMPOSE_TEXT = read('docker-compose.yml');

/** Instructions with their continuation lines joined, comments dropped. */
const instructions = DOCKERFILE.replace(/\\\n/g, ' ')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('#'))
  .map((line) => {
    const [keyword = '', ...rest] = line.split(/\s+/);
    return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
  });
const all = (keyword: string) => instructions.filter((instruction) => instruction.keyword === keyword);

/** `.dockerignore` as Docker reads it: the last pattern matching a path or one of its parent directories decides. */
function ignored(file: string): boolean {
  const rules = DOCKERIGNORE.split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => ({ keep: line.startsWith('!'), pattern: globToRegExp(line.replace(/^!/, '').replace(/\/$/, '')) }));
  const parts = file.split('/');
  const candidates = parts.map((_, index) => parts.slice(0, index + 1).join('/'));
  let excluded = false;
  for (const rule of rules) if (candidates.some((candidate) => rule.pattern.test(candidate))) excluded = !rule.keep;
  return excluded;
}

function globToRegExp(glob: string): RegExp {
  const source = glob
    .split('**')
    .map((part) => part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]'))
    .join('.*');
  return new RegExp(`^${source.replace(/^\.\*\//, '(?:.*/)?')}$`);
}

/** The HEALTHCHECK's command (exec form), run here as Docker would run it in the container: its exit code. */
async function runHealthcheck(env: Record<string, string>): Promise<number> {
  const [healthcheck] = all('HEALTHCHECK');
  const command = JSON.parse(healthcheck!.args.slice(healthcheck!.args.indexOf('CMD') + 3).trim()) as string[];
  assert.equal(command[0], 'node');
  return promisify(execFile)(process.execPath, command.slice(1), { env: { ...process.env, ...env }, timeout: 10_000 }).then(
    () => 0,
    (error: { code?: number }) => error.code ?? -1,
  );
}

describe('Dockerfile', () => {
  it('passes the Dockerfile linter', () => {
    assert.deepEqual(lintDockerfile(DOCKERFILE).map((diagnostic) => diagnostic.message), []);
  });

  it('builds on Node pinned to the release the tests run on (package.json), not a moving tag', () => {
    const [from] = all('FROM');
    const pinned = JSON.parse(read('package.json')).devDependencies.node as string;
    assert.match(from!.args, new RegExp(`^node:${pinned.replaceAll('.', '\\.')}-[a-z]+-slim(@sha256:[0-9a-f]{64})?$`), from!.args);
  });

  it('runs as a user other than root', () => {
    const users = all('USER');
    assert.ok(users.length > 0, 'a USER instruction');
    const last = users.at(-1)!.args.split(':')[0];
    assert.ok(!['root', '0'].includes(last!), `USER ${last}`);
    const lastUser = instructions.lastIndexOf(users.at(-1)!);
    assert.ok(instructions.findIndex((instruction) => instruction.keyword === 'ENTRYPOINT') > lastUser, 'USER comes before ENTRYPOINT');
  });

  it('starts the command line, which stops gracefully on SIGTERM', () => {
    assert.deepEqual(JSON.parse(all('ENTRYPOINT')[0]!.args), ['node', 'src/cli.ts']);
    assert.deepEqual(all('STOPSIGNAL').map(({ args }) => args).filter((signal) => signal !== 'SIGTERM'), []);
  });

  it('copies only what .dockerignore lets into the build context, and all of it exists', () => {
    const sources = all('COPY').flatMap(({ args }) => args.split(/\s+/).filter((arg) => !arg.startsWith('--')).slice(0, -1));
    assert.ok(sources.includes('src'), sources.join(' '));
    for (const source of sources) {
      assert.ok(existsSync(`${ROOT}${source}`), `${source} exists`);
      assert.equal(ignored(source), false, `${source} is in the build context`);
    }
  });

  describe('HEALTHCHECK', () => {
    let server: Server;
    let status = 200;
    let port: number;

    before(async () => {
      server = createServer((request, response) => response.writeHead(request.url === '/health' ? status : 404).end());
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    after(() => new Promise((resolve) => server.close(resolve)));

    it('is there, with timings', () => {
      assert.equal(all('HEALTHCHECK').length, 1);
      assert.match(all('HEALTHCHECK')[0]!.args, /--interval=\d+s .*--timeout=\d+s .*--start-period=\d+s .*CMD /);
    });

    it('passes when /health on $PORT answers 200', async () => {
      status = 200;
      assert.equal(await runHealthcheck({ PORT: String(port) }), 0);
    });

    it('fails when /health answers an error, or nothing listens', async () => {
      status = 503;
      assert.equal(await runHealthcheck({ PORT: String(port) }), 1);
      assert.equal(await runHealthcheck({ PORT: '1' }), 1);
    });
  });
});

describe('.dockerignore', () => {
  it('keeps dependencies, state, local services, secrets and git history out of the build context', () => {
    for (const file of ['node_modules/fastify/package.json', 'data/pglite/PG_VERSION', '.services/env', '.env', '.env.production', 'src/.env', '.git/HEAD', 'bench/run.ts', 'test/unit/docker-files.test.ts']) {
      assert.equal(ignored(file), true, file);
    }
  });

  it('lets in what the image needs', () => {
    for (const file of ['package.json', 'package-lock.json', 'src/cli.ts', 'bin/chat4all.js', `migrations/${readdirSync(`${ROOT}migrations`)[0]}`]) {
      assert.equal(ignored(file), false, file);
    }
  });
});

describe('docker-compose.yml', () => {
  interface Service {
    image?: string;
    build?: unknown;
    depends_on?: Record<string, { condition: string }>;
    healthcheck?: { test?: string[]; disable?: boolean };
    stop_grace_period?: string;
  }
  const compose = parse(COMPOSE_TEXT, { merge: true }) as { services: Record<string, Service> };
  const services = Object.entries(compose.services);
  const hubServices = services.filter(([, service]) => service.build !== undefined);
  const backing = services.filter(([, service]) => service.image !== undefined);

  it('is valid against the compose-spec JSON schema', () => {
    // Its $schema names draft-07 by an https address Ajv does not know it by; Ajv's default draft is draft-07.
    const { $schema: draft, ...schema } = JSON.parse(read('node_modules/dclint/schemas/compose.schema.json'));
    assert.equal(schema.title, 'Compose Specification');
    assert.match(draft, /draft-07/);
    const validate = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true }).compile(schema);
    assert.equal(validate(compose), true, JSON.stringify(validate.errors, null, 2));
  });

  it('passes the compose linter\'s checks (style rules aside; where the API is published, compose.test.ts checks)', () => {
    const styleRules = [
      'require-project-name-field',
      'require-quotes-in-ports',
      'service-keys-order',
      'services-alphabetical-order',
      'service-dependencies-alphabetical-order',
      'service-ports-alphabetical-order',
      'top-level-properties-order',
      'no-quotes-in-volumes',
      'no-unbound-port-interfaces',
    ];
    const linter = new DCLinter({ rules: Object.fromEntries(styleRules.map((rule) => [rule, 0])), quiet: true, debug: false, exclude: [] });
    const [result] = linter.lintFiles([`${ROOT}docker-compose.yml`], false);
    type Message = { type: string; line: number; message: string };
    const errors = (result!.messages as Message[]).filter((message) => message.type === 'error').map((message) => `${message.line}: ${message.message}`);
    assert.deepEqual(errors, []);
  });

  it('interpolates only variables: every other $ is escaped', () => {
    const dollars = [...COMPOSE_TEXT.matchAll(/\$(\$|\{[A-Za-z_][A-Za-z0-9_]*(?:(?::?[-?+])[^}]*)?\}|[A-Za-z_][A-Za-z0-9_]*)?/g)];
    assert.deepEqual(dollars.filter((match) => match[1] === undefined).map((match) => COMPOSE_TEXT.slice(match.index, match.index + 30)), []);
  });

  it('pins every image to a release, never a moving tag', () => {
    assert.ok(backing.length >= 3);
    for (const [name, service] of backing) {
      assert.match(service.image!, /:(\d+\.\d+\.\d+|\d+\.\d+-[a-z]+|RELEASE\.[\dT:-]+Z)[\w.-]*(@sha256:[0-9a-f]{64})?$/, `${name}: ${service.image}`);
    }
  });

  it('runs the Kafka version scripts/services.sh runs', () => {
    const script = /^KAFKA_VERSION="\$\{KAFKA_VERSION:-([\d.]+)\}"$/m.exec(read('scripts/services.sh'));
    assert.ok(script, 'KAFKA_VERSION in scripts/services.sh');
    assert.equal(compose.services.kafka?.image, `apache/kafka:${script[1]}`);
  });

  it('starts every hub service once each backing service is healthy, and each of them has a health check', () => {
    for (const [name, service] of hubServices) {
      for (const [dependency] of backing) assert.equal(service.depends_on?.[dependency]?.condition, 'service_healthy', `${name} → ${dependency}`);
    }
    for (const [name, service] of backing) assert.ok(service.healthcheck?.test?.length, `${name} has a healthcheck`);
  });

  it('checks the API\'s /health and no other role\'s, which serve no HTTP', () => {
    for (const [name, service] of hubServices) {
      if (name === 'api') assert.match(service.healthcheck?.test?.join(' ') ?? '', /\/health/);
      else assert.equal(service.healthcheck?.disable, true, name);
    }
  });

  it('gives every hub service a stop grace period longer than the hub\'s graceful shutdown', () => {
    const shutdown = /const SHUTDOWN_TIMEOUT_MS = ([\d_]+);/.exec(read('src/commands.ts'));
    assert.ok(shutdown, 'SHUTDOWN_TIMEOUT_MS in src/commands.ts');
    const shutdownMs = Number(shutdown[1]!.replaceAll('_', ''));
    for (const [name, service] of hubServices) {
      const grace = /^(\d+)s$/.exec(service.stop_grace_period ?? '');
      assert.ok(grace, `${name}: stop_grace_period in seconds, got ${service.stop_grace_period}`);
      assert.ok(Number(grace[1]) * 1000 > shutdownMs, `${name}: ${service.stop_grace_period} > ${shutdownMs} ms`);
    }
  });
});
