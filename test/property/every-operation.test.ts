import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ApiClient, type Session } from '../support/api-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { describeOperation, fillPath, operationsOf, type JsonSchema, type Operation } from '../support/openapi-operations.ts';
import { testModes } from '../support/test-modes.ts';

/**
 * Random path values, query strings, headers and bodies at every operation the hub's OpenAPI document lists, in
 * each mode: never a 5xx, never a dropped connection, every refusal an RFC 9457 problem, and a refused request
 * changes nothing a user can see.
 */
const RUNS_PER_OPERATION = 30;

/** What the refusal oracle compares: everything the two users can list, the file's progress, the user directory. */
interface Known {
  /** The sessions random requests carry; a random logout ends one, and the suite signs in again. */
  alice: Session;
  bob: Session;
  /** Sessions of the same users that only the snapshot uses. */
  observers: { alice: Session; bob: Session };
  conversationId: string;
  messageId: string;
  webhookId: string;
  fileId: string;
}

/** Header values fetch can carry: no CR, LF or NUL, nothing beyond Latin-1. */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).map((code) => String.fromCharCode(code)), maxLength: 300 });

/** Text of every flavour, odd code points and lone surrogates included. */
const anyText = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('', ' ', '%', '%zz', '%00', '..%2f..', 'null', '-1', '1e999', '9223372036854775808', '0x10', 'whatsapp', 'all'),
);

const hugeNumbers = fc.constantFrom(-1, 0, 1, 2 ** 31, 2 ** 53, -(2 ** 63), 1e308, 0.5, Number.MAX_SAFE_INTEGER + 2);

function valuePool(known: Known): fc.Arbitrary<string> {
  return fc.oneof(
    fc.constantFrom(known.conversationId, known.messageId, known.webhookId, known.fileId, known.alice.userId, known.bob.userId),
    fc.uuid(),
    fc.uuid().map((id) => id.toUpperCase()),
    anyText,
    hugeNumbers.map(String),
  );
}

/** A value for `schema`, often valid, sometimes anything at all, so requests reach past validation into the handlers. */
function fromSchema(schema: JsonSchema, known: Known, depth = 0): fc.Arbitrary<unknown> {
  const anything = fc.oneof(fc.jsonValue({ maxDepth: 3 }), valuePool(known), hugeNumbers);
  if (depth > 4) return anything;
  return fc.oneof({ weight: 1, arbitrary: anything }, { weight: 4, arbitrary: shaped(schema, known, depth) });
}

function shaped(schema: JsonSchema, known: Known, depth: number): fc.Arbitrary<unknown> {
  if (Array.isArray(schema.enum)) return fc.constantFrom(...schema.enum);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const properties: Record<string, JsonSchema> = schema.properties ?? {};
      const fields = Object.fromEntries(Object.entries(properties).map(([name, sub]) => [name, fromSchema(sub, known, depth + 1)]));
      return fc.record(fields, { requiredKeys: [] });
    }
    case 'array':
      return fc.array(fromSchema(schema.items ?? {}, known, depth + 1), { maxLength: 4 });
    case 'integer':
    case 'number':
      return fc.oneof(fc.integer({ min: -5, max: 200 }), hugeNumbers);
    case 'boolean':
      return fc.boolean();
    case 'string':
      if (schema.format === 'uuid') return valuePool(known);
      // Webhook URLs only ever point at a closed loopback port: tests send no traffic beyond this machine.
      if (/url/i.test(schema.description ?? '') || schema.format === 'uri') {
        return fc.constantFrom('http://127.0.0.1:9/hook', 'http://[::1]:9/', 'ftp://127.0.0.1/', 'http://', 'not a url');
      }
      return fc.oneof(anyText, fc.constantFrom('hello', 'report.pdf', 'text/plain', 'a'.repeat(64)));
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

type Body = { contentType?: string; bytes?: Uint8Array | string };

function bodyFor(operation: Operation, known: Known): fc.Arbitrary<Body> {
  const declared = Object.entries(operation.bodies).map(([contentType, schema]) =>
    fromSchema(schema, known).map((value): Body => ({ contentType, bytes: JSON.stringify(value) ?? '' })),
  );
  const odd = fc.oneof(
    fc.record({ contentType: fc.constantFrom('application/json', 'text/plain', 'application/octet-stream', 'multipart/form-data', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded'), bytes: fc.oneof(anyText, fc.uint8Array({ maxLength: 256 })) }),
    fc.record({ contentType: headerText, bytes: anyText }),
    fc.constant<Body>({}),
  );
  return declared.length > 0 ? fc.oneof({ weight: 3, arbitrary: fc.oneof(...declared) }, { weight: 1, arbitrary: odd }) : odd;
}

interface RandomRequest {
  pathValues: Record<string, string>;
  query: [string, string][];
  rawQuery: string;
  headers: Record<string, string | undefined>;
  auth: 'alice' | 'bob' | 'none' | 'garbage';
  body: Body;
}

function requestFor(operation: Operation, known: Known): fc.Arbitrary<RandomRequest> {
  const pathNames = operation.parameters.filter((p) => p.in === 'path').map((p) => p.name);
  const queryNames = operation.parameters.filter((p) => p.in === 'query').map((p) => p.name);
  const headerNames = operation.parameters.filter((p) => p.in === 'header').map((p) => p.name);
  const queryValue = fc.oneof(valuePool(known), hugeNumbers.map(String));
  return fc.record({
    pathValues: fc.record(Object.fromEntries(pathNames.map((name) => [name, fc.oneof(valuePool(known), fc.constantFrom('whatsapp', 'instagram', '0', '1'))]))),
    query: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...queryNames, 'token', 'x'), anyText), queryValue), { maxLength: 4 }),
    rawQuery: fc.oneof({ weight: 3, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('&', '=', '%', '%zz=1', 'limit=1&limit=2', 'a[b]=c', '?') }),
    headers: fc.oneof(
      { weight: 1, arbitrary: fc.constant({}) },
      {
        weight: 1,
        arbitrary: fc.record(
          Object.fromEntries(
            [...headerNames, 'x-request-id', 'idempotency-key', 'range', 'accept', 'x-chunk-sha256', 'if-none-match'].map((name) => [name, headerText]),
          ),
          { requiredKeys: [] },
        ),
      },
    ),
    auth: fc.constantFrom<RandomRequest['auth']>('alice', 'alice', 'alice', 'bob', 'none', 'garbage'),
    body: operation.method === 'GET' || operation.method === 'DELETE' ? fc.constant<Body>({}) : bodyFor(operation, known),
  });
}

async function send(baseUrl: string, operation: Operation, request: RandomRequest, known: Known): Promise<{ status: number; contentType: string; body: string }> {
  const url = new URL(fillPath(operation.path, request.pathValues), baseUrl);
  for (const [name, value] of request.query) url.searchParams.append(name, value);
  if (request.rawQuery) url.search = url.search ? `${url.search}&${request.rawQuery}` : `?${request.rawQuery}`;
  const headers: Record<string, string> = Object.fromEntries(Object.entries(request.headers).filter((entry): entry is [string, string] => entry[1] !== undefined));
  const token = { alice: known.alice.token, bob: known.bob.token, none: undefined, garbage: 'a.b.c' }[request.auth];
  if (token) headers.authorization = `Bearer ${token}`;
  if (request.body.contentType !== undefined) headers['content-type'] = request.body.contentType;
  let response: Response;
  try {
    response = await fetch(url, { method: operation.method, headers, ...(request.body.bytes !== undefined ? { body: request.body.bytes } : {}) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause;
    if (error instanceof TypeError && (cause === undefined || cause.code === 'UND_ERR_INVALID_ARG')) {
      // fetch itself refused to build the request (a header it cannot send): nothing reached the hub.
      return { status: 0, contentType: '', body: '' };
    }
    throw new Error(`${operation.method} ${url}: the connection failed: ${String((error as any)?.cause ?? error)}`);
  }
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', body: await response.text() };
}

/**
 * What a refused request must not have stored, as the two users see it: the ids of everything they can list, and
 * the upload's progress. Statuses are left out: deliveries of earlier accepted messages move on by themselves.
 */
async function snapshot(known: Known): Promise<string> {
  const { alice, bob } = known.observers;
  const ids = (items: any[], key: string) => items.map((item) => item[key]).sort();
  const read = async (session: Session, path: string) => {
    const view = await session.get(path);
    assert.equal(view.status, 200, `${path}: ${JSON.stringify(view.body)}`);
    return view.body;
  };
  const [aliceConversations, bobConversations, messages, webhooks, aliceIdentities, bobIdentities, file, users] = await Promise.all([
    read(alice, '/v1/conversations?limit=100'),
    read(bob, '/v1/conversations?limit=100'),
    read(alice, `/v1/conversations/${known.conversationId}/messages?limit=100`),
    read(alice, '/v1/webhooks'),
    read(alice, '/v1/users/me/identities'),
    read(bob, '/v1/users/me/identities'),
    read(alice, `/v1/files/${known.fileId}`),
    read(alice, '/v1/users?limit=100'),
  ]);
  return JSON.stringify({
    aliceConversations: ids(aliceConversations.conversations, 'conversation_id'),
    bobConversations: ids(bobConversations.conversations, 'conversation_id'),
    messages: ids(messages.messages, 'message_id'),
    webhooks: ids(webhooks.webhooks, 'webhook_id'),
    identities: [...aliceIdentities.identities, ...bobIdentities.identities].map((i: any) => `${i.user_id} ${i.channel} ${i.address} ${i.status ?? ''}`).sort(),
    file: [file.status, file.received_chunks],
    users: ids(users.users, 'user_id'),
  });
}

for (const mode of testModes) describe(`random input at every OpenAPI operation [${mode}] (property tests)`, () => {
  let hub: HubProcess;
  let known: Known;
  let operations: Operation[];

  before(async () => {
    hub = await HubProcess.start({ mode, env: { CHAT4ALL_WEBHOOK_ALLOW_PRIVATE_ADDRESSES: 'true' } });
    const client = new ApiClient(hub.url);
    const [alice, bob] = await Promise.all([client.login('user1'), client.login('user2')]);
    const conversationId = await alice.createConversation('private', [alice.userId, bob.userId]);
    const message = alice.textMessage(conversationId);
    assert.equal((await alice.post('/v1/messages', message)).status, 200);
    const webhook = await alice.post('/v1/webhooks', { url: 'http://127.0.0.1:9/hook', events: ['message.created'] });
    assert.equal(webhook.status, 201, JSON.stringify(webhook.body));
    const file = await alice.post('/v1/files/initiate', { filename: 'a.bin', file_size: 10 });
    assert.equal(file.status, 201, JSON.stringify(file.body));
    const observers = { alice: await client.login('user1'), bob: await client.login('user2') };
    known = { alice, bob, observers, conversationId, messageId: String(message.message_id), webhookId: webhook.body.webhook_id, fileId: file.body.file_id };
    operations = await operationsOf(hub.url);
  });
  after(() => hub.stop());

  it('the document lists the operations this suite knows to seed values for', () => {
    assert.ok(operations.length >= 25, `only ${operations.length} operations`);
    assert.ok(known.webhookId && known.fileId, 'seeded ids');
  });

  /** A random request that signed its caller out: later ones get a live session again. */
  async function signInAgain(auth: RandomRequest['auth']): Promise<void> {
    const client = new ApiClient(hub.url);
    if (auth === 'alice') known.alice = await client.login('user1');
    if (auth === 'bob') known.bob = await client.login('user2');
  }

  it('every operation: never a 5xx or a dropped connection, refusals are problems, and change nothing', async (t) => {
    for (const operation of operations) {
      const statuses = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(requestFor(operation, known), async (request) => {
          const before = await snapshot(known);
          const answer = await send(hub.url, operation, request, known);
          if (answer.status === 0) return;
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          if (answer.status < 300 && operation.path === '/auth/logout') await signInAgain(request.auth);
          const what = `${describeOperation(operation)} answered ${answer.status}: ${answer.body.slice(0, 500)}`;
          assert.ok(answer.status < 500, what);
          if (answer.status >= 400) {
            assert.match(answer.contentType, /application\/problem\+json/, what);
            const problem = JSON.parse(answer.body);
            assert.equal(typeof problem.error_code, 'string', what);
            assert.equal(typeof problem.detail, 'string', what);
            assert.equal(await snapshot(known), before, `a refused request changed what users see: ${what}`);
          }
        }),
        { numRuns: RUNS_PER_OPERATION, seed: Number(process.env.CHAT4ALL_PROPERTY_SEED ?? Date.now() % 2 ** 31) },
      );
      t.diagnostic(`${describeOperation(operation)}: ${[...statuses].sort(([a], [b]) => a - b).map(([status, count]) => `${status}×${count}`).join(' ')}`);
      // Random input that never gets past authentication would prove nothing about the handlers behind it.
      assert.ok([...statuses.keys()].some((status) => status !== 401), `${describeOperation(operation)}: every answer was 401`);
    }
  });

  it('the hub still serves a valid request afterwards', async () => {
    const response = await known.alice.post('/v1/messages', known.alice.textMessage(known.conversationId, { message_id: randomUUID() }));
    assert.equal(response.status, 200, JSON.stringify(response.body));
  });
});
