import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ApiClient, type ApiResponse, type Session } from '../support/api-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';
import { assertProblem, UUID } from '../support/assertions.ts';

/** True when some field_errors key starts with `prefix` (e.g. "members" matches "members" and "members.0"). */
function namesField(response: ApiResponse, prefix: string): boolean {
  return Object.keys(response.body.field_errors ?? {}).some((key) => key === prefix || key.startsWith(`${prefix}.`));
}

for (const mode of testModes) describe(`conversations [${mode}]`, () => {
  let hub: HubProcess;
  let alice: Session;
  let bob: Session;
  let carol: Session;
  let dave: Session;

  before(async () => {
    hub = await HubProcess.start({ mode });
    const client = new ApiClient(hub.url);
    [alice, bob, carol, dave] = await Promise.all([
      client.login('user1'),
      client.login('user2'),
      client.login('user3'),
      client.login('user4'),
    ]);
  });
  after(() => hub.stop());

  const create = (session: Session, body: unknown) => session.post('/v1/conversations', body);

  describe('POST /v1/conversations', () => {
    it('creates a private conversation of exactly 2 members: 201 {conversation_id, type, members, metadata, created_at}', async () => {
      const started = Date.now();
      const response = await create(alice, { type: 'private', members: [alice.userId, bob.userId] });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      assert.deepEqual(Object.keys(response.body).sort(), ['conversation_id', 'created_at', 'members', 'metadata', 'type']);
      assert.match(response.body.conversation_id, UUID);
      assert.equal(response.body.type, 'private');
      assert.deepEqual([...response.body.members].sort(), [alice.userId, bob.userId].sort());
      assert.equal(typeof response.body.metadata, 'object');
      const createdAt = Date.parse(response.body.created_at);
      assert.ok(!Number.isNaN(createdAt), `created_at ${response.body.created_at}`);
      assert.ok(Math.abs(createdAt - started) < 60_000, 'created_at is about now');
    });

    it('gives every new group conversation its own id (a private one exists once per pair: idempotency-keys.test.ts)', async () => {
      const one = await create(alice, { type: 'group', members: [alice.userId, bob.userId, carol.userId] });
      const two = await create(alice, { type: 'group', members: [alice.userId, bob.userId, carol.userId] });
      assert.equal(one.status, 201);
      assert.equal(two.status, 201);
      assert.notEqual(one.body.conversation_id, two.body.conversation_id);
    });

    it('rejects a private conversation with 1 member (400 naming members)', async () => {
      const response = await create(alice, { type: 'private', members: [alice.userId] });
      assertProblem(response, 400);
      assert.ok(namesField(response, 'members'), JSON.stringify(response.body));
    });

    it('rejects a private conversation with 3 members (400 naming members)', async () => {
      const response = await create(alice, { type: 'private', members: [alice.userId, bob.userId, carol.userId] });
      assertProblem(response, 400);
      assert.ok(namesField(response, 'members'), JSON.stringify(response.body));
    });

    it('rejects a private conversation with an empty member list (400)', async () => {
      assertProblem(await create(alice, { type: 'private', members: [] }), 400);
    });

    it('creates a group of 3 members and echoes metadata name and description', async () => {
      const metadata = { name: 'Project team', description: 'Weekly planning' };
      const response = await create(alice, { type: 'group', members: [alice.userId, bob.userId, carol.userId], metadata });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      assert.equal(response.body.type, 'group');
      assert.deepEqual([...response.body.members].sort(), [alice.userId, bob.userId, carol.userId].sort());
      assert.equal(response.body.metadata.name, 'Project team');
      assert.equal(response.body.metadata.description, 'Weekly planning');
    });

    it('keeps unicode metadata intact', async () => {
      const metadata = { name: 'Équipe 🚀 日本', description: 'ação — ñ' };
      const response = await create(alice, { type: 'group', members: [alice.userId, bob.userId, carol.userId], metadata });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      assert.deepEqual(response.body.metadata, metadata);
    });

    it('rejects a group with 2 members (400 naming members)', async () => {
      const response = await create(alice, { type: 'group', members: [alice.userId, bob.userId] });
      assertProblem(response, 400);
      assert.ok(namesField(response, 'members'), JSON.stringify(response.body));
    });

    it('rejects a group with 101 members (400 naming members)', async () => {
      const members = [alice.userId, bob.userId, carol.userId, ...Array.from({ length: 98 }, () => randomUUID())];
      assert.equal(members.length, 101);
      const response = await create(alice, { type: 'group', members });
      assertProblem(response, 400);
      assert.ok(namesField(response, 'members'), JSON.stringify(response.body));
    });

    it('explains too few and too many group members in the same sentence', async () => {
      const tooFew = await create(alice, { type: 'group', members: [alice.userId, bob.userId] });
      const tooMany = await create(alice, { type: 'group', members: [alice.userId, bob.userId, carol.userId, ...Array.from({ length: 98 }, () => randomUUID())] });
      assertProblem(tooFew, 400);
      assertProblem(tooMany, 400);
      assert.deepEqual(tooMany.body.field_errors.members, tooFew.body.field_errors.members);
      assert.match(tooFew.body.field_errors.members[0], /between 3 and 100 members/);
    });

    it('keeps the client\'s own metadata keys, nested values included, and returns them on reads', async () => {
      const metadata = { name: 'Orders', crm_id: 'A-1', priority: 3, vip: true, tags: ['b2b', 'sp'], owner: { team: 'sales', region: { code: 'BR' } } };
      const response = await create(alice, { type: 'group', members: [alice.userId, bob.userId, carol.userId], metadata });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      assert.deepEqual(response.body.metadata, metadata);
      const read = await alice.get(`/v1/conversations/${response.body.conversation_id}`);
      assert.deepEqual(read.body.metadata, metadata);
      const listed = await bob.get('/v1/conversations?limit=100');
      const summary = listed.body.conversations.find((c: { conversation_id: string }) => c.conversation_id === response.body.conversation_id);
      assert.deepEqual(summary.metadata, metadata);
    });

    it('refuses metadata nested more than 3 levels deep, naming the key', async () => {
      const response = await create(alice, { type: 'group', members: [alice.userId, bob.userId, carol.userId], metadata: { deep: { a: { b: { c: { d: 1 } } } } } });
      assertProblem(response, 400);
      assert.ok(namesField(response, 'metadata.deep'), JSON.stringify(response.body));
    });

    it('refuses metadata over 8 KiB as JSON, and over 50 keys', async () => {
      const large = await create(alice, { type: 'group', members: [alice.userId, bob.userId, carol.userId], metadata: { notes: 'x'.repeat(1900), more: 'y'.repeat(1900), rest: ['z'.repeat(1900), 'w'.repeat(1900), 'v'.repeat(1900)] } });
      assertProblem(large, 400);
      assert.ok(namesField(large, 'metadata'), JSON.stringify(large.body));
      const many = await create(alice, { type: 'group', members: [alice.userId, bob.userId, carol.userId], metadata: Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, i])) });
      assertProblem(many, 400);
      assert.ok(namesField(many, 'metadata'), JSON.stringify(many.body));
    });

    it('still types name and description: a number as the name is refused', async () => {
      const response = await create(alice, { type: 'group', members: [alice.userId, bob.userId, carol.userId], metadata: { name: 5 } });
      assertProblem(response, 400);
      assert.ok(namesField(response, 'metadata.name'), JSON.stringify(response.body));
    });

    it('rejects unknown member ids with 400 naming each unknown id', async () => {
      const ghost1 = randomUUID();
      const ghost2 = randomUUID();
      const response = await create(alice, { type: 'group', members: [alice.userId, ghost1, bob.userId, ghost2] });
      assertProblem(response, 400);
      const text = `${response.body.detail} ${JSON.stringify(response.body.field_errors ?? {})}`;
      assert.ok(text.includes(ghost1), `names ${ghost1}: ${text}`);
      assert.ok(text.includes(ghost2), `names ${ghost2}: ${text}`);
      assert.ok(!text.includes(bob.userId), 'does not name a known member');
    });

    it('rejects an unknown member in a private conversation with 400 naming it', async () => {
      const ghost = randomUUID();
      const response = await create(alice, { type: 'private', members: [alice.userId, ghost] });
      assertProblem(response, 400);
      assert.ok(`${response.body.detail} ${JSON.stringify(response.body.field_errors ?? {})}`.includes(ghost));
    });

    it('refuses a caller who is not among the members with 403', async () => {
      assertProblem(await create(alice, { type: 'private', members: [bob.userId, carol.userId] }), 403);
    });

    it('refuses a caller who is not among the members of a group with 403', async () => {
      assertProblem(await create(alice, { type: 'group', members: [bob.userId, carol.userId, dave.userId] }), 403);
    });

    it('rejects duplicate member ids with 400', async () => {
      const response = await create(alice, { type: 'private', members: [alice.userId, alice.userId] });
      assertProblem(response, 400);
      assert.ok(namesField(response, 'members'), JSON.stringify(response.body));
    });

    it('rejects duplicate member ids in a group with 400', async () => {
      assertProblem(await create(alice, { type: 'group', members: [alice.userId, bob.userId, bob.userId] }), 400);
    });

    it('rejects an unknown type with 400 naming type', async () => {
      const response = await create(alice, { type: 'channel', members: [alice.userId, bob.userId] });
      assertProblem(response, 400);
      assert.ok(namesField(response, 'type'), JSON.stringify(response.body));
    });

    it('rejects a member id that is not a UUID with 400 naming the member', async () => {
      const response = await create(alice, { type: 'private', members: [alice.userId, 'user2'] });
      assertProblem(response, 400);
      assert.ok(namesField(response, 'members'), JSON.stringify(response.body));
    });

    it('rejects a missing type and members with 400 naming both', async () => {
      const response = await create(alice, {});
      assertProblem(response, 400);
      assert.ok(namesField(response, 'type'), JSON.stringify(response.body));
      assert.ok(namesField(response, 'members'), JSON.stringify(response.body));
    });

    it('rejects metadata that is not an object with 400 naming metadata', async () => {
      const response = await create(alice, { type: 'private', members: [alice.userId, bob.userId], metadata: 'team' });
      assertProblem(response, 400);
      assert.ok(namesField(response, 'metadata'), JSON.stringify(response.body));
    });

    it('requires a token (401)', async () => {
      const response = await alice.client.request('POST', '/v1/conversations', {
        body: { type: 'private', members: [alice.userId, bob.userId] },
      });
      assertProblem(response, 401, 'TOKEN_MISSING');
    });
  });

  describe('GET /v1/conversations/{id}', () => {
    let conversationId: string;
    let created: ApiResponse;

    before(async () => {
      created = await create(alice, {
        type: 'group',
        members: [alice.userId, bob.userId, carol.userId],
        metadata: { name: 'Readers' },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      conversationId = created.body.conversation_id;
    });

    it('answers a member with 200 and the conversation as created', async () => {
      const response = await bob.get(`/v1/conversations/${conversationId}`);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      assert.deepEqual(response.body, created.body);
    });

    it('answers the creator with 200', async () => {
      assert.equal((await alice.get(`/v1/conversations/${conversationId}`)).status, 200);
    });

    it('answers a non-member with 403', async () => {
      assertProblem(await dave.get(`/v1/conversations/${conversationId}`), 403);
    });

    it('answers an unknown id with 404', async () => {
      assertProblem(await alice.get(`/v1/conversations/${randomUUID()}`), 404);
    });

    it('answers an id that is not a UUID with 400', async () => {
      assertProblem(await alice.get('/v1/conversations/not-a-uuid'), 400);
    });

    it('requires a token (401)', async () => {
      assertProblem(await alice.client.request('GET', `/v1/conversations/${conversationId}`), 401, 'TOKEN_MISSING');
    });
  });
});
