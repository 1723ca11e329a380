import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApiClient, type ApiResponse, type Session } from '../support/api-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';
import { assertProblem } from '../support/assertions.ts';

const MIB = 1024 * 1024;
const PLACEHOLDER = '__RAW_TEXT__';

/** Asserts a 4xx problem (any 4xx status). */
function assertClientError(response: ApiResponse): void {
  assert.ok(response.status >= 400 && response.status < 500, `4xx expected, got ${response.status}: ${JSON.stringify(response.body)}`);
  assert.match(response.headers.get('content-type') ?? '', /application\/problem\+json/);
  assert.equal(typeof response.body.detail, 'string');
  assert.ok(response.body.detail.length > 0);
  assert.equal(typeof response.body.error_code, 'string');
}

/** Asserts field_errors names each field (exactly, or as the prefix of a deeper path such as "channels.0"). */
function assertNamesFields(response: ApiResponse, fields: string[]): void {
  const keys = Object.keys(response.body.field_errors ?? {});
  for (const field of fields) {
    assert.ok(
      keys.some((key) => key === field || key.startsWith(`${field}.`)),
      `field_errors names ${field}; got ${JSON.stringify(response.body.field_errors)}`,
    );
  }
}

/** A 400 VALIDATION_FAILED naming every given field. */
function assertInvalid(response: ApiResponse, fields: string[]): void {
  assertProblem(response, 400, 'VALIDATION_FAILED');
  assertNamesFields(response, fields);
}

/**
 * Writes `requests` one after the other on one connection, without waiting for answers (as a client streaming a
 * body does), and returns what the server sent until the status line of its last answer, or until it closed the
 * connection.
 */
function rawExchange(url: string, requests: string[]): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let received = '';
    const socket = connect(Number(port), hostname, () => socket.write(requests.join('')));
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      received += text;
      if ((received.match(/HTTP\/1\.1 \d{3} /g) ?? []).length === requests.length) socket.destroy();
    });
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}

/** JSON text of `body` where the string value PLACEHOLDER is replaced by the raw JSON string literal `literal`. */
function withRawString(body: unknown, literal: string): string {
  const text = JSON.stringify(body);
  assert.ok(text.includes(`"${PLACEHOLDER}"`));
  return text.replace(`"${PLACEHOLDER}"`, literal);
}

for (const mode of testModes) describe(`bad input [${mode}]`, () => {
  let hub: HubProcess;
  let client: ApiClient;
  let alice: Session;
  let bob: Session;
  /** Every rejected message targets this conversation: it must stay empty. */
  let emptyId: string;
  /** Accepted messages go here. */
  let acceptedId: string;

  before(async () => {
    hub = await HubProcess.start({ mode });
    client = new ApiClient(hub.url);
    const [first, second, carol] = await Promise.all([client.login('user1'), client.login('user2'), client.login('user3')]);
    [alice, bob] = [first, second];
    emptyId = await alice.createConversation('private', [alice.userId, bob.userId]);
    // A group: a second private conversation of the same two users would be the first one again (get-or-create).
    acceptedId = await alice.createConversation('group', [alice.userId, bob.userId, carol.userId]);
  });
  after(() => hub.stop());

  const postMessage = (body: unknown) => alice.post('/v1/messages', body);
  const postRaw = (path: string, rawBody: string, headers?: Record<string, string>) =>
    client.request('POST', path, { token: alice.token, rawBody, ...(headers ? { headers } : {}) });
  const message = (overrides: Record<string, unknown> = {}) => alice.textMessage(emptyId, overrides);
  const text = (value: unknown) => ({ payload: { type: 'text', text: value } });

  /** Nothing was stored: the conversation that rejected messages target still has no message. */
  async function assertNothingStored(messageId?: unknown): Promise<void> {
    const list = await alice.get(`/v1/conversations/${emptyId}/messages`);
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.equal(list.body.total, 0, `nothing stored, got ${JSON.stringify(list.body.messages)}`);
    assert.deepEqual(list.body.messages, []);
    if (typeof messageId === 'string' && /^[0-9a-f-]{36}$/i.test(messageId)) {
      assert.equal((await alice.get(`/v1/messages/${messageId}`)).status, 404, `message ${messageId} is unknown`);
    }
  }

  describe('POST /v1/messages', () => {
    it('rejects malformed JSON with 400 MALFORMED_JSON', async () => {
      assertProblem(await postRaw('/v1/messages', '{"message_id": "abc", '), 400, 'MALFORMED_JSON');
      await assertNothingStored();
    });

    it('rejects JSON followed by garbage with 400 MALFORMED_JSON', async () => {
      const body = message();
      assertProblem(await postRaw('/v1/messages', `${JSON.stringify(body)} trailing`), 400, 'MALFORMED_JSON');
      await assertNothingStored(body.message_id);
    });

    it('rejects an empty JSON body with 400', async () => {
      assertProblem(await postRaw('/v1/messages', ''), 400);
      await assertNothingStored();
    });

    it('rejects a JSON body over 1 MiB with 413', async () => {
      const body = message(text('a'.repeat(MIB + 1024)));
      assertProblem(await postMessage(body), 413, 'BODY_TOO_LARGE');
      await assertNothingStored(body.message_id);
    });

    it('rejects a body over 64 KiB with 413 BODY_TOO_LARGE naming the limit', async () => {
      const body = message(text('a'.repeat(64 * 1024)));
      const response = await postMessage(body);
      assertProblem(response, 413, 'BODY_TOO_LARGE');
      assert.match(response.body.detail, /64 KiB/);
      await assertNothingStored(body.message_id);
    });

    it('answers a JSON body over 1 MiB with 413 and keeps the connection for the next request', async () => {
      const body = JSON.stringify(message(text('a'.repeat(MIB + 1024))));
      const answers = await rawExchange(hub.url, [
        `POST /v1/messages HTTP/1.1\r\nhost: hub\r\nauthorization: Bearer ${alice.token}\r\n` +
          `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        'GET /health HTTP/1.1\r\nhost: hub\r\n\r\n',
      ]);
      assert.match(answers, /^HTTP\/1\.1 413 [^]*HTTP\/1\.1 200 /);
    });

    it('rejects a JSON array body with 400', async () => {
      assertProblem(await postMessage([message()]), 400);
      await assertNothingStored();
    });

    it('rejects a JSON null body with 400', async () => {
      assertProblem(await postRaw('/v1/messages', 'null'), 400);
      await assertNothingStored();
    });

    it('rejects a JSON string body with 400', async () => {
      assertProblem(await postRaw('/v1/messages', '"hello"'), 400);
      await assertNothingStored();
    });

    it('rejects an empty object with 400 naming every required field', async () => {
      assertInvalid(await postMessage({}), ['message_id', 'conversation_id', 'from', 'channels', 'payload']);
      await assertNothingStored();
    });

    it('rejects wrong types in every field with 400 naming each of them', async () => {
      const response = await postMessage({
        message_id: 123,
        conversation_id: true,
        from: { id: alice.userId },
        to: 42,
        channels: 'whatsapp',
        payload: 'hello',
        priority: 1,
      });
      assertInvalid(response, ['message_id', 'conversation_id', 'from', 'to', 'channels', 'payload', 'priority']);
      await assertNothingStored();
    });

    it('rejects bad UUIDs with 400 naming message_id, conversation_id, from and to', async () => {
      const response = await postMessage(
        message({ message_id: 'not-a-uuid', conversation_id: '1234', from: 'user1', to: 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz' }),
      );
      assertInvalid(response, ['message_id', 'conversation_id', 'from', 'to']);
      await assertNothingStored();
    });

    it('rejects a UUID with surrounding spaces with 400 naming message_id', async () => {
      const response = await postMessage(message({ message_id: ` ${randomUUID()} ` }));
      assertInvalid(response, ['message_id']);
      await assertNothingStored();
    });

    it('rejects empty strings with 400 naming each field', async () => {
      const response = await postMessage({ message_id: '', conversation_id: '', from: '', channels: [''], payload: { type: 'text', text: '' } });
      assertInvalid(response, ['message_id', 'conversation_id', 'from', 'channels', 'payload.text']);
      await assertNothingStored();
    });

    it('rejects an empty text with 400 naming payload.text', async () => {
      const body = message(text(''));
      assertInvalid(await postMessage(body), ['payload.text']);
      await assertNothingStored(body.message_id);
    });

    it('rejects a text payload without text with 400 naming payload.text', async () => {
      const body = message({ payload: { type: 'text' } });
      assertInvalid(await postMessage(body), ['payload.text']);
      await assertNothingStored(body.message_id);
    });

    it('rejects a text that is a number with 400 naming payload.text', async () => {
      const body = message(text(4096));
      assertInvalid(await postMessage(body), ['payload.text']);
      await assertNothingStored(body.message_id);
    });

    it('rejects an unknown payload type with 400 naming payload.type', async () => {
      const body = message({ payload: { type: 'video', text: 'hi' } });
      assertInvalid(await postMessage(body), ['payload.type']);
      await assertNothingStored(body.message_id);
    });

    it('rejects a text of 4097 characters with 400 naming payload.text', async () => {
      const body = message(text('a'.repeat(4097)));
      const response = await postMessage(body);
      assertInvalid(response, ['payload.text']);
      await assertNothingStored(body.message_id);
    });

    it('accepts a text of exactly 4096 characters', async () => {
      const body = alice.textMessage(acceptedId, text('a'.repeat(4096)));
      const response = await postMessage(body);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const stored = await alice.get(`/v1/messages/${body.message_id}`);
      assert.equal(stored.body.payload.text.length, 4096);
    });

    it('counts code points: accepts 4096 emoji (8192 UTF-16 units)', async () => {
      const body = alice.textMessage(acceptedId, text('😀'.repeat(4096)));
      const response = await postMessage(body);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const stored = await alice.get(`/v1/messages/${body.message_id}`);
      assert.equal(stored.body.payload.text, '😀'.repeat(4096), 'stored intact');
    });

    it('counts code points: rejects 4097 emoji with 400 naming payload.text', async () => {
      const body = message(text('😀'.repeat(4097)));
      assertInvalid(await postMessage(body), ['payload.text']);
      await assertNothingStored(body.message_id);
    });

    it('rejects a NUL character in text with 400 naming payload.text', async () => {
      const body = message(text('hello\u0000world'));
      assertInvalid(await postMessage(body), ['payload.text']);
      await assertNothingStored(body.message_id);
    });

    it('rejects a lone high surrogate (raw "\\ud800") in text with 400 naming payload.text', async () => {
      const body = message(text(PLACEHOLDER));
      const response = await postRaw('/v1/messages', withRawString(body, '"\\ud800"'));
      assertInvalid(response, ['payload.text']);
      await assertNothingStored(body.message_id);
    });

    it('rejects a lone low surrogate (raw "x\\udc00y") in text with 400 naming payload.text', async () => {
      const body = message(text(PLACEHOLDER));
      const response = await postRaw('/v1/messages', withRawString(body, '"x\\udc00y"'));
      assertInvalid(response, ['payload.text']);
      await assertNothingStored(body.message_id);
    });

    it('accepts an escaped surrogate pair (raw "\\ud83d\\ude00") as one emoji', async () => {
      const body = alice.textMessage(acceptedId, text(PLACEHOLDER));
      const response = await postRaw('/v1/messages', withRawString(body, '"\\ud83d\\ude00"'));
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const stored = await alice.get(`/v1/messages/${body.message_id}`);
      assert.equal(stored.body.payload.text, '😀');
    });

    it('rejects an unknown channel with 400 naming channels', async () => {
      const body = message({ channels: ['telegram'] });
      const response = await postMessage(body);
      assertInvalid(response, ['channels']);
      await assertNothingStored(body.message_id);
    });

    it('rejects an unknown channel beside a known one with 400 naming channels', async () => {
      const body = message({ channels: ['whatsapp', 'sms'] });
      assertInvalid(await postMessage(body), ['channels']);
      await assertNothingStored(body.message_id);
    });

    it('rejects empty channels with 400 naming channels', async () => {
      const body = message({ channels: [] });
      assertInvalid(await postMessage(body), ['channels']);
      await assertNothingStored(body.message_id);
    });

    it('rejects channels given as a string with 400 naming channels', async () => {
      const body = message({ channels: 'whatsapp' });
      assertInvalid(await postMessage(body), ['channels']);
      await assertNothingStored(body.message_id);
    });

    it('rejects a bad priority with 400 naming priority', async () => {
      const body = message({ priority: 'urgent' });
      assertInvalid(await postMessage(body), ['priority']);
      await assertNothingStored(body.message_id);
    });

    it('rejects a null priority with 400 naming priority', async () => {
      const body = message({ priority: null });
      assertInvalid(await postMessage(body), ['priority']);
      await assertNothingStored(body.message_id);
    });

    it('lists every bad field when several are wrong at once', async () => {
      const response = await postMessage({
        message_id: 'nope',
        conversation_id: emptyId,
        from: alice.userId,
        channels: ['pigeon'],
        payload: { type: 'text', text: 'x'.repeat(5000) },
        priority: 'asap',
      });
      assertInvalid(response, ['message_id', 'channels', 'payload.text', 'priority']);
      assert.ok(!('conversation_id' in response.body.field_errors), 'a good field is not named');
      assert.ok(!('from' in response.body.field_errors), 'a good field is not named');
      await assertNothingStored();
    });

    it('names at most 20 bad fields and counts the others, so thousands of unknown keys get a short answer', async () => {
      const body: Record<string, unknown> = message();
      for (let key = 0; key < 3_000; key++) body[`k${key}`] = 0;
      const response = await postMessage(body);
      assertProblem(response, 400, 'VALIDATION_FAILED');
      assert.equal(Object.keys(response.body.field_errors).length, 20);
      assert.equal(response.body.field_errors_omitted, 2_980);
      assert.match(response.body.detail, /and 2980 more fields$/);
      assert.ok(JSON.stringify(response.body).length < 4_096, `a short answer, got ${JSON.stringify(response.body).length} characters`);
      await assertNothingStored(body.message_id);
    });

    it('names the bad field in the human detail too', async () => {
      const response = await postMessage(message({ priority: 'urgent' }));
      assertProblem(response, 400);
      assert.match(response.body.detail, /priority/);
    });

    it('rejects a text/plain body with a 4xx problem', async () => {
      const body = message();
      const response = await postRaw('/v1/messages', JSON.stringify(body), { 'content-type': 'text/plain' });
      assertClientError(response);
      await assertNothingStored(body.message_id);
    });

    it('rejects an application/xml body with a 4xx problem', async () => {
      const response = await postRaw('/v1/messages', '<message/>', { 'content-type': 'application/xml' });
      assertClientError(response);
      await assertNothingStored();
    });

    it('rejects a __proto__ key with a 4xx problem', async () => {
      const body = message();
      const raw = JSON.stringify(body).replace(/}$/, ',"__proto__":{"polluted":true}}');
      assertClientError(await postRaw('/v1/messages', raw));
      await assertNothingStored(body.message_id);
    });

    it('rejects deeply nested JSON (20,000 levels) with a 4xx, not a 5xx', async () => {
      const body = message();
      const depth = 20_000;
      const raw = JSON.stringify(body).replace(/}$/, `,"extra":${'['.repeat(depth)}${']'.repeat(depth)}}`);
      const response = await postRaw('/v1/messages', raw);
      assertClientError(response);
      await assertNothingStored(body.message_id);
    });

    it('rejects a deeply nested JSON array as the whole body with a 4xx, not a 5xx', async () => {
      const depth = 20_000;
      assertClientError(await postRaw('/v1/messages', `${'['.repeat(depth)}${']'.repeat(depth)}`));
      await assertNothingStored();
    });

    it('refuses a "from" that is not the caller with 403 and stores nothing', async () => {
      const body = message({ from: bob.userId });
      assertProblem(await postMessage(body), 403);
      await assertNothingStored(body.message_id);
    });

    it('answers an unknown conversation with 404 and stores nothing', async () => {
      const body = alice.textMessage(randomUUID());
      assertProblem(await postMessage(body), 404);
      assert.equal((await alice.get(`/v1/messages/${body.message_id}`)).status, 404);
    });

    it('has stored nothing in the target conversation after all the rejected requests', async () => {
      await assertNothingStored();
    });
  });

  describe('POST /v1/conversations', () => {
    const postConversation = (body: unknown) => alice.post('/v1/conversations', body);
    const group = (overrides: Record<string, unknown> = {}) => ({
      type: 'group',
      members: [alice.userId, bob.userId, randomUUID()],
      ...overrides,
    });
    const pair = (overrides: Record<string, unknown> = {}) => ({ type: 'private', members: [alice.userId, bob.userId], ...overrides });

    it('rejects malformed JSON with 400 MALFORMED_JSON', async () => {
      assertProblem(await postRaw('/v1/conversations', '{"type": "private", "members": ['), 400, 'MALFORMED_JSON');
    });

    it('rejects a JSON body over 1 MiB with 413', async () => {
      const response = await postConversation(pair({ metadata: { name: 'n', description: 'd'.repeat(MIB + 1024) } }));
      assertProblem(response, 413, 'BODY_TOO_LARGE');
    });

    it('rejects an empty JSON body with 400', async () => {
      assertProblem(await postRaw('/v1/conversations', ''), 400);
    });

    it('rejects a JSON array body with 400', async () => {
      assertProblem(await postConversation([pair()]), 400);
    });

    it('rejects wrong types with 400 naming type, members and metadata', async () => {
      const response = await postConversation({ type: 7, members: 'user1,user2', metadata: ['team'] });
      assertInvalid(response, ['type', 'members', 'metadata']);
    });

    it('rejects bad UUIDs among members with 400 naming members', async () => {
      const response = await postConversation(pair({ members: [alice.userId, 'not-a-uuid'] }));
      assertInvalid(response, ['members']);
    });

    it('rejects a member id that is a number with 400 naming members', async () => {
      assertInvalid(await postConversation(pair({ members: [alice.userId, 2] })), ['members']);
    });

    it('rejects an empty type with 400 naming type', async () => {
      assertInvalid(await postConversation(pair({ type: '' })), ['type']);
    });

    it('rejects an empty metadata name with 400 naming metadata.name', async () => {
      assertInvalid(await postConversation(pair({ metadata: { name: '' } })), ['metadata.name']);
    });

    it('rejects a metadata name over 200 characters with 400 naming metadata.name', async () => {
      assertInvalid(await postConversation(pair({ metadata: { name: 'n'.repeat(201) } })), ['metadata.name']);
    });

    it('rejects a NUL character in the metadata name with 400 naming metadata.name', async () => {
      assertInvalid(await postConversation(pair({ metadata: { name: 'team\u0000' } })), ['metadata.name']);
    });

    it('rejects a lone surrogate (raw "\\ud800") in the description with 400 naming metadata.description', async () => {
      const raw = withRawString(pair({ metadata: { name: 'team', description: PLACEHOLDER } }), '"\\ud800"');
      assertInvalid(await postRaw('/v1/conversations', raw), ['metadata.description']);
    });

    it('lists every bad field when several are wrong at once', async () => {
      const response = await postConversation({ type: 'party', members: [alice.userId, 'x'], metadata: { name: 5, description: false } });
      assertInvalid(response, ['type', 'members', 'metadata.name', 'metadata.description']);
    });

    it('rejects a text/plain body with a 4xx problem', async () => {
      assertClientError(await postRaw('/v1/conversations', JSON.stringify(pair()), { 'content-type': 'text/plain' }));
    });

    it('rejects deeply nested JSON (20,000 levels) with a 4xx, not a 5xx', async () => {
      const depth = 20_000;
      const raw = JSON.stringify(group()).replace(/}$/, `,"extra":${'['.repeat(depth)}${']'.repeat(depth)}}`);
      assertClientError(await postRaw('/v1/conversations', raw));
    });
  });

  describe('POST /v1/files/initiate and /v1/files/complete', () => {
    // A raw body was handed to these JSON routes as the request stream, and validating it ran the hub out of memory.
    for (const path of ['/v1/files/initiate', '/v1/files/complete']) {
      for (const contentType of ['application/octet-stream', 'multipart/form-data; boundary=x']) {
        it(`refuses a ${contentType.split(';')[0]} body to ${path} with 415, and keeps serving`, async () => {
          const response = await postRaw(path, 'abc', { 'content-type': contentType });
          assertProblem(response, 415, 'UNSUPPORTED_MEDIA_TYPE');
          assert.equal((await alice.get('/v1/users/me')).status, 200);
        });
      }
    }
  });
});
