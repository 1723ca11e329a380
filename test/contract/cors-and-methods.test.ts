import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient, type Session } from '../support/api-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';

const APP = 'https://app.example.com';
const DEV_APP = 'http://localhost:5173';

/** A browser's preflight before a cross-origin POST of JSON with a token and an idempotency key. */
const preflight = (client: ApiClient, path: string, origin: string) =>
  client.request('OPTIONS', path, {
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization, content-type, idempotency-key, x-request-id',
    },
  });

/** Header values as a lower-cased set, for comma lists in any order. */
const listed = (value: string | null) => new Set((value ?? '').split(',').map((item) => item.trim().toLowerCase()).filter(Boolean));

for (const mode of testModes) describe(`CORS, 405 and GET / [${mode}]`, () => {
  describe('a hub with no CORS origins (the default)', () => {
    let hub: HubProcess;
    let client: ApiClient;

    before(async () => {
      hub = await HubProcess.start({ mode, args: ['api'] });
      client = new ApiClient(hub.url);
    });
    after(() => hub.stop());

    it('adds no CORS header to an answer, a preflight included', async () => {
      const simple = await client.request('GET', '/health', { headers: { origin: APP } });
      assert.equal(simple.status, 200);
      assert.equal(simple.headers.get('access-control-allow-origin'), null);
      const answer = await preflight(client, '/v1/messages', APP);
      assert.equal(answer.headers.get('access-control-allow-origin'), null);
      assert.equal(answer.headers.get('access-control-allow-methods'), null);
    });

    it('answers a method a path does not take with 405 METHOD_NOT_ALLOWED and Allow listing the ones it takes', async () => {
      for (const [method, path, allow] of [
        ['DELETE', '/auth/token', ['POST']],
        ['PUT', '/health', ['GET', 'HEAD']],
        ['GET', '/v1/messages', ['POST']],
        ['POST', '/v1/users/me', ['GET', 'HEAD']],
        ['PATCH', '/v1/webhooks/3f2b1c9e-0000-4000-8000-000000000000', ['GET', 'HEAD', 'DELETE']],
        ['OPTIONS', '/v1/conversations?limit=5', ['GET', 'HEAD', 'POST']],
      ] as const) {
        const response = await client.request(method, path);
        assert.equal(response.status, 405, `${method} ${path}`);
        assert.deepEqual(listed(response.headers.get('allow')), listed(allow.join(',')), `${method} ${path}`);
        assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
        assert.equal(response.body.error_code, 'METHOD_NOT_ALLOWED');
        assert.equal(response.body.status, 405);
        assert.equal(response.body.title, 'Method Not Allowed');
        assert.match(response.body.detail, new RegExp(`^${method} is not allowed on ${path.split('?')[0]}`));
      }
    });

    it('still answers a path no route has with 404 ROUTE_NOT_FOUND, whatever the method', async () => {
      for (const method of ['GET', 'POST', 'OPTIONS']) {
        const response = await client.request(method, '/no/such/route');
        assert.equal(response.status, 404, method);
        assert.equal(response.body.error_code, 'ROUTE_NOT_FOUND');
        assert.equal(response.headers.get('allow'), null);
      }
    });

    it('answers GET / with a JSON index whose links lead to the docs, the OpenAPI document and the health checks', async () => {
      const response = await client.request('GET', '/');
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /application\/json/);
      assert.equal(response.body.docs, '/docs');
      assert.equal(response.body.openapi, '/openapi.json');
      for (const link of ['docs', 'redoc', 'openapi', 'health', 'ready'] as const) {
        const followed = await fetch(new URL(response.body[link], hub.url));
        assert.equal(followed.status, 200, `${link}: ${response.body[link]}`);
        await followed.arrayBuffer();
      }
    });

    it('documents GET / in the OpenAPI document', async () => {
      const spec = (await client.request('GET', '/openapi.json')).body;
      assert.ok(spec.paths['/']?.get, 'GET / is documented');
    });
  });

  describe(`a hub with CHAT4ALL_CORS_ORIGINS=${APP},${DEV_APP}`, () => {
    let hub: HubProcess;
    let client: ApiClient;
    let alice: Session;

    before(async () => {
      hub = await HubProcess.start({ mode, args: ['api'], env: { CHAT4ALL_CORS_ORIGINS: `${APP},${DEV_APP}` } });
      client = new ApiClient(hub.url);
      alice = await client.login('user1');
    });
    after(() => hub.stop());

    it('answers an allowed origin\'s preflight 204 with the methods and headers the API takes', async () => {
      for (const origin of [APP, DEV_APP]) {
        const response = await preflight(client, '/v1/messages', origin);
        assert.equal(response.status, 204, origin);
        assert.equal(response.headers.get('access-control-allow-origin'), origin);
        const methods = listed(response.headers.get('access-control-allow-methods'));
        for (const method of ['get', 'post', 'put', 'patch', 'delete']) assert.ok(methods.has(method), `allows ${method}`);
        const headers = listed(response.headers.get('access-control-allow-headers'));
        for (const header of ['authorization', 'content-type', 'idempotency-key', 'x-request-id', 'x-chunk-sha256']) {
          assert.ok(headers.has(header), `allows ${header}: ${[...headers].join(', ')}`);
        }
        assert.ok(Number(response.headers.get('access-control-max-age')) > 0);
        assert.equal(response.headers.get('access-control-allow-credentials'), null, 'tokens are headers, not cookies');
      }
    });

    it('lets the allowed origin read the answer and the headers a client needs', async () => {
      const response = await client.request('GET', '/v1/users/me', { token: alice.token, headers: { origin: APP } });
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('access-control-allow-origin'), APP);
      assert.match(response.headers.get('vary') ?? '', /origin/i);
      const exposed = listed(response.headers.get('access-control-expose-headers'));
      for (const header of ['retry-after', 'ratelimit', 'ratelimit-policy', 'x-request-id', 'location']) {
        assert.ok(exposed.has(header), `exposes ${header}: ${[...exposed].join(', ')}`);
      }
    });

    it('lets the allowed origin read error answers too (a 401 problem)', async () => {
      const response = await client.request('GET', '/v1/users/me', { headers: { origin: DEV_APP } });
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('access-control-allow-origin'), DEV_APP);
    });

    it('gives any other origin no Access-Control-Allow-Origin, so its browser keeps the answer from it', async () => {
      for (const origin of ['https://evil.example.net', 'https://app.example.com.evil.example.net', 'http://app.example.com']) {
        const answer = await preflight(client, '/v1/messages', origin);
        assert.equal(answer.headers.get('access-control-allow-origin'), null, origin);
        const simple = await client.request('GET', '/v1/users/me', { token: alice.token, headers: { origin } });
        assert.equal(simple.headers.get('access-control-allow-origin'), null, origin);
      }
    });
  });
});
