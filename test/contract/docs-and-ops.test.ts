import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApiClient, waitFor, type Session } from '../support/api-client.ts';
import { UUID } from '../support/assertions.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';

/** A local port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

const REQUIRED_PATHS = [
  '/auth/token',
  '/v1/conversations',
  '/v1/messages',
  '/v1/conversations/{id}/messages',
  '/v1/messages/{id}',
  '/v1/users',
  '/v1/users/me',
];

interface Operation {
  method: string;
  path: string;
  op: any;
}

/** True when `value` holds an `example` or a non-empty `examples` anywhere inside. */
function hasExample(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  const record = value as Record<string, unknown>;
  if ('example' in record && record.example !== undefined) return true;
  if (Array.isArray(record.examples) ? record.examples.length > 0 : record.examples && typeof record.examples === 'object') {
    return true;
  }
  return Object.values(record).some(hasExample);
}

for (const mode of testModes) describe(`docs and ops [${mode}]`, () => {
  let hub: HubProcess;
  let client: ApiClient;
  let alice: Session;
  let spec: any;
  let operations: Operation[];

  before(async () => {
    hub = await HubProcess.start({ mode });
    client = new ApiClient(hub.url);
    alice = await client.login('user1');
    const response = await client.request('GET', '/openapi.json');
    assert.equal(response.status, 200);
    spec = response.body;
    operations = Object.entries<any>(spec.paths ?? {}).flatMap(([path, item]) =>
      Object.entries<any>(item)
        .filter(([method]) => HTTP_METHODS.includes(method))
        .map(([method, op]) => ({ method, path, op })),
    );
  });
  after(() => hub.stop());

  const apiOperations = () => operations.filter(({ path }) => path === '/auth/token' || path.startsWith('/v1/'));

  describe('health and readiness', () => {
    it('GET /health answers 200 {status: "ok"}', async () => {
      const response = await client.request('GET', '/health');
      assert.equal(response.status, 200);
      assert.equal(response.body.status, 'ok');
    });

    it('GET /ready answers 200 with checks.database ok', async () => {
      const response = await client.request('GET', '/ready');
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.equal(response.body.checks?.database?.status, 'ok', JSON.stringify(response.body));
    });

    describe('with a dependency down', () => {
      let down: HubProcess;
      let brokerPort: number;

      before(async () => {
        brokerPort = await closedPort();
        // The API alone never publishes: only /ready tries the broker.
        down = await HubProcess.start({ mode, args: ['api'], env: { KAFKA_BOOTSTRAP_SERVERS: `127.0.0.1:${brokerPort}` } });
      });
      after(() => down.stop());

      it('GET /ready names the failing check but not its error, which says where the broker is', async () => {
        const response = await new ApiClient(down.url).request('GET', '/ready');
        assert.equal(response.status, 200, JSON.stringify(response.body));
        assert.equal(response.body.status, 'degraded');
        assert.deepEqual(response.body.checks.bus, { status: 'failing' });
        assert.ok(!JSON.stringify(response.body).includes(String(brokerPort)), JSON.stringify(response.body));
      });

      it('logs the failing check with its error, for operators', async () => {
        await new ApiClient(down.url).request('GET', '/ready');
        await waitFor(async () => down.linesWith('readiness check failing').some((line) => line.includes(`127.0.0.1:${brokerPort}`)), {
          what: 'a log line with the broker error',
        });
      });
    });

    it('GET /health needs no token', async () => {
      const response = await client.request('GET', '/health', { token: 'garbage' });
      assert.equal(response.status, 200);
    });
  });

  describe('/openapi.json', () => {
    it('is an OpenAPI 3.1 document', () => {
      assert.match(String(spec.openapi), /^3\.1\./);
      assert.equal(typeof spec.info?.title, 'string');
      assert.equal(typeof spec.info?.version, 'string');
    });

    it('documents every public path', () => {
      for (const path of REQUIRED_PATHS) assert.ok(spec.paths?.[path], `path ${path} is documented`);
    });

    it('documents the methods the API serves on each path', () => {
      assert.ok(spec.paths['/auth/token'].post, 'POST /auth/token');
      assert.ok(spec.paths['/v1/conversations'].post, 'POST /v1/conversations');
      assert.ok(spec.paths['/v1/messages'].post, 'POST /v1/messages');
      assert.ok(spec.paths['/v1/conversations/{id}/messages'].get, 'GET /v1/conversations/{id}/messages');
      assert.ok(spec.paths['/v1/messages/{id}'].get, 'GET /v1/messages/{id}');
      assert.ok(spec.paths['/v1/users'].get, 'GET /v1/users');
      assert.ok(spec.paths['/v1/users/me'].get, 'GET /v1/users/me');
    });

    it('gives every operation at least one example (request body or responses)', () => {
      const missing = operations
        .filter(({ op }) => !hasExample(op.requestBody) && !hasExample(op.responses))
        .map(({ method, path }) => `${method.toUpperCase()} ${path}`);
      assert.deepEqual(missing, []);
    });

    it('gives every operation with a request body an example of that body', () => {
      const missing = operations
        .filter(({ op }) => op.requestBody && !hasExample(op.requestBody))
        .map(({ method, path }) => `${method.toUpperCase()} ${path}`);
      assert.deepEqual(missing, []);
    });

    it('documents at least one 4xx error response on every API operation', () => {
      const missing = apiOperations()
        .filter(({ op }) => !Object.keys(op.responses ?? {}).some((status) => /^4\d\d$/.test(status)))
        .map(({ method, path }) => `${method.toUpperCase()} ${path}`);
      assert.deepEqual(missing, []);
    });

    it('gives every documented error response an example', () => {
      const missing: string[] = [];
      for (const { method, path, op } of operations) {
        for (const [status, response] of Object.entries<any>(op.responses ?? {})) {
          if (/^[45]\d\d$/.test(status) && !hasExample(response)) missing.push(`${method.toUpperCase()} ${path} ${status}`);
        }
      }
      assert.deepEqual(missing, []);
    });

    it('documents 401 on every /v1 operation', () => {
      const missing = operations
        .filter(({ path, op }) => path.startsWith('/v1/') && !op.responses?.['401'])
        .map(({ method, path }) => `${method.toUpperCase()} ${path}`);
      assert.deepEqual(missing, []);
    });

    it('documents 400 on every operation that takes a body or path parameters', () => {
      const missing = apiOperations()
        .filter(({ path, op }) => (op.requestBody || path.includes('{')) && !op.responses?.['400'])
        .map(({ method, path }) => `${method.toUpperCase()} ${path}`);
      assert.deepEqual(missing, []);
    });

    it('documents 404 on every operation addressing a resource by id', () => {
      const missing = apiOperations()
        .filter(({ path, op }) => path.includes('{id}') && !op.responses?.['404'])
        .map(({ method, path }) => `${method.toUpperCase()} ${path}`);
      assert.deepEqual(missing, []);
    });

    it('documents 401 and 400 for POST /auth/token', () => {
      const responses = spec.paths['/auth/token'].post.responses;
      assert.ok(responses['200'], '200');
      assert.ok(responses['400'], '400');
      assert.ok(responses['401'], '401');
    });

    it('documents 403, 404 and 409 for POST /v1/messages', () => {
      const responses = spec.paths['/v1/messages'].post.responses;
      for (const status of ['200', '400', '401', '403', '404', '409']) assert.ok(responses[status], status);
    });

    it('documents the error body with error_code and detail', () => {
      const response = spec.paths['/v1/messages'].post.responses['400'];
      const schema = Object.values<any>(response.content ?? {})[0]?.schema;
      assert.ok(schema, 'the 400 response has a schema');
      assert.ok(schema.properties?.error_code, 'error_code');
      assert.ok(schema.properties?.detail, 'detail');
    });

    it('documents error responses with the media type they are sent with (application/problem+json)', async () => {
      const sent = await client.request('GET', '/v1/users/me');
      assert.match(sent.headers.get('content-type') ?? '', /application\/problem\+json/);
      const wrong: string[] = [];
      for (const { method, path, op } of apiOperations()) {
        for (const [status, response] of Object.entries<any>(op.responses ?? {})) {
          if (/^4\d\d$/.test(status) && !Object.keys(response.content ?? {}).includes('application/problem+json')) {
            wrong.push(`${method.toUpperCase()} ${path} ${status}: ${Object.keys(response.content ?? {}).join(', ')}`);
          }
        }
      }
      assert.deepEqual(wrong, []);
    });

    it('documents priority of POST /v1/messages as optional, as the API treats it', async () => {
      const conversationId = await alice.createConversation('private', [alice.userId, (await client.login('user2')).userId]);
      const body = alice.textMessage(conversationId);
      assert.equal(body.priority, undefined);
      const sent = await alice.post('/v1/messages', body);
      assert.equal(sent.status, 200, 'the API accepts a message without priority');
      const schema = spec.paths['/v1/messages'].post.requestBody.content['application/json'].schema;
      assert.ok(!(schema.required ?? []).includes('priority'), `required: ${JSON.stringify(schema.required)}`);
    });

    it('documents the limit and offset query parameters as optional, as the API treats them', async () => {
      assert.equal((await alice.get('/v1/users')).status, 200, 'the API accepts a listing without limit and offset');
      const wrong: string[] = [];
      for (const { method, path, op } of operations) {
        for (const parameter of op.parameters ?? []) {
          if (parameter.in === 'query' && ['limit', 'offset'].includes(parameter.name) && parameter.required) {
            wrong.push(`${method.toUpperCase()} ${path} ${parameter.name}`);
          }
        }
      }
      assert.deepEqual(wrong, []);
    });

    it('declares bearer security for the /v1 operations', () => {
      const missing = operations
        .filter(({ path, op }) => path.startsWith('/v1/') && !(op.security ?? spec.security)?.length)
        .map(({ method, path }) => `${method.toUpperCase()} ${path}`);
      assert.deepEqual(missing, []);
    });
  });

  describe('/docs and /redoc', () => {
    it('GET /docs serves HTML (following redirects)', async () => {
      const response = await fetch(new URL('/docs', hub.url), { redirect: 'follow' });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /text\/html/);
      assert.match(await response.text(), /<html/i);
    });

    it('GET /redoc serves HTML that loads /openapi.json', async () => {
      const response = await fetch(new URL('/redoc', hub.url), { redirect: 'follow' });
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /text\/html/);
      const html = await response.text();
      assert.match(html, /<html/i);
      assert.match(html, /openapi\.json/);
    });
  });

  describe('request ids', () => {
    it('adds an x-request-id to every response', async () => {
      const response = await client.request('GET', '/health');
      assert.ok((response.headers.get('x-request-id') ?? '').length > 0);
    });

    it('gives different requests different ids', async () => {
      const one = await client.request('GET', '/health');
      const two = await client.request('GET', '/health');
      assert.notEqual(one.headers.get('x-request-id'), two.headers.get('x-request-id'));
    });

    it('echoes an incoming X-Request-Id', async () => {
      const id = `test-${randomUUID()}`;
      const response = await client.request('GET', '/health', { headers: { 'X-Request-Id': id } });
      assert.equal(response.headers.get('x-request-id'), id);
    });

    it('echoes an incoming X-Request-Id on an error response too', async () => {
      const id = `test-${randomUUID()}`;
      const response = await client.request('GET', '/v1/users/me', { headers: { 'X-Request-Id': id } });
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('x-request-id'), id);
    });

    it('echoes an X-Request-Id of 128 characters, the longest it takes', async () => {
      const id = 'r'.repeat(128);
      const response = await client.request('GET', '/health', { headers: { 'X-Request-Id': id } });
      assert.equal(response.headers.get('x-request-id'), id);
    });

    it('replaces an X-Request-Id that is too long or not id-like with one of its own', async () => {
      for (const id of ['r'.repeat(129), 'two words', '<script>alert(1)</script>', '{"level":"fatal"}']) {
        const response = await client.request('GET', '/health', { headers: { 'X-Request-Id': id } });
        const answered = response.headers.get('x-request-id') ?? '';
        assert.notEqual(answered, id);
        assert.match(answered, UUID, `for ${JSON.stringify(id)}`);
      }
    });

    it('echoes an incoming X-Request-Id on an authenticated API call', async () => {
      const id = `test-${randomUUID()}`;
      const response = await client.request('GET', '/v1/users/me', { token: alice.token, headers: { 'X-Request-Id': id } });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('x-request-id'), id);
    });
  });

  describe('unknown routes', () => {
    it('answers an unknown route with 404 problem+json ROUTE_NOT_FOUND', async () => {
      const response = await client.request('GET', '/no/such/route');
      assert.equal(response.status, 404);
      assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal(response.body.error_code, 'ROUTE_NOT_FOUND');
      assert.equal(typeof response.body.detail, 'string');
      assert.ok(response.body.detail.length > 0);
    });

    it('answers an unknown /v1 route with a token with 404 ROUTE_NOT_FOUND', async () => {
      const response = await alice.get('/v1/nothing-here');
      assert.equal(response.status, 404);
      assert.equal(response.body.error_code, 'ROUTE_NOT_FOUND');
    });

    it('answers an unknown method on a known path with a 4xx problem', async () => {
      const response = await client.request('DELETE', '/auth/token');
      assert.ok(response.status >= 400 && response.status < 500, String(response.status));
      assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal(typeof response.body.error_code, 'string');
    });
  });
});
