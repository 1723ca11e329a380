import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ApiClient, type ApiResponse, type Session } from '../support/api-client.ts';
import { HubProcess } from '../support/hub-process.ts';

const NUM_RUNS = 150;

/** Odd text: NUL, lone surrogates, controls, combining marks, RTL, BOM, emoji. */
const oddChar = fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff', '\u0007', '\u0301', '\u202e', '\ufeff', '\uffff', '😀', '👩‍👩‍👧');
/** One code point of any kind, odd ones included. */
const anyUnit = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: oddChar },
);

/** Strings of every flavour: ascii, any code point, graphemes, odd characters, and long ones near the 4096 limit. */
const anyString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: anyUnit }),
  fc.string({ unit: anyUnit, minLength: 4090, maxLength: 4100 }),
  fc.uuid().map((id) => id.toUpperCase()),
  fc.constantFrom('', ' ', 'null', 'whatsapp', 'all', 'text', 'file', 'high', 'private', 'group'),
);

const anyJson = fc.jsonValue({ maxDepth: 4, stringUnit: anyUnit });

/** Values to put anywhere: JSON of any shape, strings, UUIDs, numbers and nested wrappers. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  anyJson,
  anyString,
  fc.uuid(),
  fc.constantFrom(null, true, false, 0, -1, 1e308, 4096, [], {}),
  fc.array(anyString, { maxLength: 5 }),
  fc.tuple(fc.integer({ min: 1, max: 50 }), fc.boolean(), anyJson).map(([depth, asArray, leaf]) => nest(leaf, depth, asArray)),
);

type Path = (string | number)[];

type Mutation =
  | { kind: 'drop'; path: Path }
  | { kind: 'set'; path: Path; value: unknown }
  | { kind: 'wrap'; path: Path; depth: number; asArray: boolean }
  | { kind: 'extra'; path: Path; key: string; value: unknown };

function nest(value: unknown, depth: number, asArray: boolean): unknown {
  let result = value;
  for (let i = 0; i < depth; i++) result = asArray ? [result] : { v: result };
  return result;
}

function mutation(paths: Path[]): fc.Arbitrary<Mutation> {
  const path = fc.constantFrom(...paths);
  return fc.oneof(
    path.map((p): Mutation => ({ kind: 'drop', path: p })),
    fc.record({ path, value: anyValue }).map(({ path: p, value }): Mutation => ({ kind: 'set', path: p, value })),
    fc
      .record({ path, depth: fc.integer({ min: 1, max: 20 }), asArray: fc.boolean() })
      .map(({ path: p, depth, asArray }): Mutation => ({ kind: 'wrap', path: p, depth, asArray })),
    fc
      .record({ path: fc.constantFrom<Path>([], ...paths.slice(0, 2)), key: fc.string({ unit: anyUnit }), value: anyValue })
      .map(({ path: p, key, value }): Mutation => ({ kind: 'extra', path: p, key, value })),
  );
}

/** Applies mutations to a deep copy of `body`; a mutation whose parent is not a container is skipped. */
function mutate(body: Record<string, unknown>, mutations: Mutation[]): unknown {
  const copy = structuredClone(body) as Record<string, unknown>;
  for (const m of mutations) {
    const parentPath = m.kind === 'extra' ? m.path : m.path.slice(0, -1);
    let parent: any = copy;
    for (const key of parentPath) parent = parent !== null && typeof parent === 'object' ? parent[key] : undefined;
    if (parent === null || typeof parent !== 'object') continue;
    if (m.kind === 'extra') {
      // An array's `length` cannot be redefined, and would not reach the JSON anyway.
      if (Array.isArray(parent) && m.key === 'length') continue;
      Object.defineProperty(parent, m.key, { value: m.value, enumerable: true, writable: true, configurable: true });
      continue;
    }
    const last = m.path[m.path.length - 1]!;
    if (m.kind === 'drop') {
      if (Array.isArray(parent) && typeof last === 'number') parent.splice(last, 1);
      else delete parent[last];
    } else if (m.kind === 'set') {
      parent[last] = m.value;
    } else {
      parent[last] = nest(parent[last], m.depth, m.asArray);
    }
  }
  return copy;
}

/** JSON.stringify for bodies; `undefined` (a dropped root) becomes an empty body. */
function toJson(value: unknown): string {
  return JSON.stringify(value) ?? '';
}

/** The common oracle: never a 5xx, and every error is a problem with error_code and detail. */
function assertWellFormedAnswer(response: ApiResponse, allowed: number[]): void {
  assert.ok(response.status < 500, `5xx: ${response.status} ${JSON.stringify(response.body)}`);
  assert.ok(allowed.includes(response.status), `unexpected status ${response.status}: ${JSON.stringify(response.body)}`);
  if (response.status >= 400) {
    assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
    assert.equal(typeof response.body.error_code, 'string', JSON.stringify(response.body));
    assert.ok(response.body.error_code.length > 0);
    assert.equal(typeof response.body.detail, 'string', JSON.stringify(response.body));
    assert.ok(response.body.detail.length > 0);
  }
}

/** The expected outcome for a text, counted in code points like the API documents. */
function isAcceptableText(text: string): boolean {
  const length = [...text].length;
  return length >= 1 && length <= 4096 && !text.includes('\u0000') && text.isWellFormed();
}

describe('random bodies (property tests)', () => {
  let hub: HubProcess;
  let client: ApiClient;
  let alice: Session;
  let bob: Session;
  let carol: Session;
  let conversationId: string;

  before(async () => {
    hub = await HubProcess.start();
    client = new ApiClient(hub.url);
    [alice, bob, carol] = await Promise.all([client.login('user1'), client.login('user2'), client.login('user3')]);
    conversationId = await alice.createConversation('private', [alice.userId, bob.userId]);
  });
  after(() => hub.stop());

  const messageTotal = async (): Promise<number> => {
    const response = await alice.get(`/v1/conversations/${conversationId}/messages?limit=1`);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.total;
  };

  const postRaw = (path: string, rawBody: string) => client.request('POST', path, { token: alice.token, rawBody });

  /** Posts a message body and checks the oracle, including that a rejected message stores nothing. */
  async function checkMessage(rawBody: string): Promise<ApiResponse> {
    const before = await messageTotal();
    const response = await postRaw('/v1/messages', rawBody);
    assertWellFormedAnswer(response, [200, 400, 403, 404, 409, 413, 415]);
    const after = await messageTotal();
    if (response.status >= 400) assert.equal(after, before, `a ${response.status} stored a message`);
    else assert.ok(after === before + 1 || response.headers.get('idempotent-replay') === 'true', 'an accepted message is stored once');
    return response;
  }

  const messagePaths: Path[] = [
    ['message_id'],
    ['conversation_id'],
    ['from'],
    ['to'],
    ['channels'],
    ['channels', 0],
    ['payload'],
    ['payload', 'type'],
    ['payload', 'text'],
    ['priority'],
  ];

  const conversationPaths: Path[] = [
    ['type'],
    ['members'],
    ['members', 0],
    ['members', 2],
    ['metadata'],
    ['metadata', 'name'],
    ['metadata', 'description'],
  ];

  const validConversation = () => ({
    type: 'group',
    members: [alice.userId, bob.userId, carol.userId],
    metadata: { name: 'Team', description: 'Planning' },
  });

  it('POST /v1/messages: random JSON values never get a 5xx, errors are problems, and nothing is stored', async () => {
    await fc.assert(
      fc.asyncProperty(anyJson, async (value) => {
        await checkMessage(toJson(value));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('POST /v1/messages: mutations of a valid body never get a 5xx, and a rejected one stores nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation(messagePaths), { minLength: 1, maxLength: 4 }), async (mutations) => {
        const base = alice.textMessage(conversationId, { to: bob.userId, channels: ['whatsapp', 'instagram'], priority: 'high' });
        await checkMessage(toJson(mutate(base, mutations)));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('POST /v1/messages: any text is accepted exactly when it is 1-4096 code points without NUL or lone surrogates', async () => {
    await fc.assert(
      fc.asyncProperty(anyString, async (text) => {
        const body = alice.textMessage(conversationId, { payload: { type: 'text', text } });
        const response = await checkMessage(JSON.stringify(body));
        if (isAcceptableText(text)) {
          assert.equal(response.status, 200, `text of ${[...text].length} code points: ${JSON.stringify(response.body)}`);
          const stored = await alice.get(`/v1/messages/${body.message_id}`);
          assert.equal(stored.body.payload.text, text, 'stored intact');
        } else {
          assert.equal(response.status, 400, JSON.stringify(response.body));
          assert.ok(response.body.field_errors?.['payload.text'], JSON.stringify(response.body));
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('POST /v1/messages: random strings as the raw body get a 4xx and store nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(anyString, fc.json({ stringUnit: anyUnit })), async (raw) => {
        const response = await checkMessage(raw);
        assert.ok(response.status >= 400 && response.status < 500, `4xx expected, got ${response.status}`);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('POST /v1/messages: random bytes as the raw body get a 4xx and store nothing', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        const before = await messageTotal();
        const response = await fetch(new URL('/v1/messages', hub.url), {
          method: 'POST',
          headers: { authorization: `Bearer ${alice.token}`, 'content-type': 'application/json' },
          body: bytes,
        });
        const text = await response.text();
        assert.ok(response.status >= 400 && response.status < 500, `4xx expected, got ${response.status}: ${text}`);
        assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
        const problem = JSON.parse(text);
        assert.equal(typeof problem.error_code, 'string');
        assert.equal(typeof problem.detail, 'string');
        assert.equal(await messageTotal(), before);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('POST /v1/conversations: random JSON values never get a 5xx and errors are problems', async () => {
    await fc.assert(
      fc.asyncProperty(anyJson, async (value) => {
        assertWellFormedAnswer(await postRaw('/v1/conversations', toJson(value)), [201, 400, 403, 413, 415]);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('POST /v1/conversations: mutations of a valid body never get a 5xx and errors are problems', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(mutation(conversationPaths), { minLength: 1, maxLength: 4 }), async (mutations) => {
        const response = await postRaw('/v1/conversations', toJson(mutate(validConversation(), mutations)));
        assertWellFormedAnswer(response, [201, 400, 403, 413, 415]);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('POST /v1/conversations: random strings as the raw body get a 4xx', async () => {
    await fc.assert(
      fc.asyncProperty(anyString, async (raw) => {
        const response = await postRaw('/v1/conversations', raw);
        assertWellFormedAnswer(response, [400, 413, 415]);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('POST /v1/messages and /v1/conversations: nesting an extra field at any depth up to 30,000 never gets a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 30_000 }),
        fc.boolean(),
        fc.constantFrom('/v1/messages', '/v1/conversations'),
        async (depth, asArray, path) => {
          const base: Record<string, unknown> =
            path === '/v1/messages' ? alice.textMessage(randomUUID()) : validConversation();
          const nested = asArray ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"v":'.repeat(depth)}1${'}'.repeat(depth)}`;
          const raw = JSON.stringify(base).replace(/}$/, `,"extra":${nested}}`);
          const response = await postRaw(path, raw);
          assertWellFormedAnswer(response, path === '/v1/messages' ? [200, 400, 403, 404, 413] : [201, 400, 403, 413]);
        },
      ),
      { numRuns: 40 },
    );
  });
});
