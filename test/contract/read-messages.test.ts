import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { ApiClient, waitFor, type ApiResponse, type Session } from '../support/api-client.ts';
import { HubProcess } from '../support/hub-process.ts';
import { testModes } from '../support/test-modes.ts';
import { assertProblem } from '../support/assertions.ts';

interface ListedMessage {
  message_id: string;
  seq: number;
  from: string;
  to: string | null;
  channels: string[];
  payload: { type: string; text?: string };
  priority: string;
  status: string;
  created_at: string;
}

for (const mode of testModes) describe(`reading messages [${mode}]`, () => {
  let hub: HubProcess;
  let alice: Session;
  let bob: Session;
  let carol: Session;
  let dave: Session;
  let eve: Session;

  before(async () => {
    hub = await HubProcess.start({ mode });
    const client = new ApiClient(hub.url);
    [alice, bob, carol, dave, eve] = await Promise.all([
      client.login('user1'),
      client.login('user2'),
      client.login('user3'),
      client.login('user4'),
      client.login('user5'),
    ]);
  });
  after(() => hub.stop());

  /** A new, empty conversation of alice and bob: a group with eve, as private ones of one pair are one (get-or-create). */
  const freshConversation = () => alice.createConversation('group', [alice.userId, bob.userId, eve.userId]);
  const list = (session: Session, conversationId: string, query = '') =>
    session.get(`/v1/conversations/${conversationId}/messages${query}`);

  /** Sends `count` texts "m1".."mN" one after the other; returns their ids in send order. */
  async function sendSequentially(conversationId: string, count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 1; i <= count; i++) {
      const body = alice.textMessage(conversationId, { payload: { type: 'text', text: `m${i}` } });
      const response = await alice.post('/v1/messages', body);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      ids.push(body.message_id as string);
    }
    return ids;
  }

  const delivered = (session: Session, messageId: string) =>
    waitFor(async () => {
      const message = (await session.get(`/v1/messages/${messageId}`)).body;
      return message.status === 'delivered' && message;
    }, { what: `message ${messageId} delivered` });

  describe('GET /v1/conversations/{id}/messages', () => {
    it('answers {conversation_id, messages, total, limit, offset} with every message field', async () => {
      const conversationId = await freshConversation();
      const body = alice.textMessage(conversationId, { to: bob.userId, channels: ['instagram'], priority: 'low' });
      const sent = await alice.post('/v1/messages', body);
      assert.equal(sent.status, 200);
      const response = await list(alice, conversationId);
      assert.equal(response.status, 200);
      assert.deepEqual(Object.keys(response.body).sort(), ['conversation_id', 'limit', 'messages', 'offset', 'total']);
      assert.equal(response.body.conversation_id, conversationId);
      assert.equal(response.body.total, 1);
      assert.equal(response.body.offset, 0);
      assert.equal(response.body.messages.length, 1);
      const message: ListedMessage = response.body.messages[0];
      for (const field of ['message_id', 'seq', 'from', 'to', 'channels', 'payload', 'priority', 'status', 'created_at']) {
        assert.ok(field in message, `messages[0].${field} is present`);
      }
      assert.equal(message.message_id, body.message_id);
      assert.equal(message.seq, sent.body.seq);
      assert.equal(message.from, alice.userId);
      assert.equal(message.to, bob.userId);
      assert.deepEqual(message.channels, ['instagram']);
      assert.deepEqual(message.payload, { type: 'text', text: 'hello' });
      assert.equal(message.priority, 'low');
      assert.ok(['accepted', 'in_transit', 'delivered'].includes(message.status), message.status);
      assert.equal(message.created_at, sent.body.created_at);
    });

    it('lists messages in send order with seq 1..30 strictly increasing', async () => {
      const conversationId = await freshConversation();
      const ids = await sendSequentially(conversationId, 30);
      const response = await list(alice, conversationId, '?limit=100');
      assert.equal(response.body.total, 30);
      const messages: ListedMessage[] = response.body.messages;
      assert.deepEqual(messages.map((m) => m.seq), Array.from({ length: 30 }, (_, i) => i + 1));
      assert.deepEqual(messages.map((m) => m.payload.text), Array.from({ length: 30 }, (_, i) => `m${i + 1}`));
      assert.deepEqual(messages.map((m) => m.message_id), ids);
    });

    it('pages with limit and offset without duplicates or gaps', async () => {
      const conversationId = await freshConversation();
      await sendSequentially(conversationId, 30);
      const full: ListedMessage[] = (await list(alice, conversationId, '?limit=100')).body.messages;
      const paged: ListedMessage[] = [];
      for (let offset = 0; offset < 30; offset += 7) {
        const page = await list(alice, conversationId, `?limit=7&offset=${offset}`);
        assert.equal(page.status, 200);
        assert.equal(page.body.limit, 7);
        assert.equal(page.body.offset, offset);
        assert.equal(page.body.total, 30);
        assert.equal(page.body.messages.length, Math.min(7, 30 - offset));
        paged.push(...page.body.messages);
      }
      assert.deepEqual(paged.map((m) => m.message_id), full.map((m) => m.message_id));
      assert.equal(new Set(paged.map((m) => m.message_id)).size, 30);
      const beyond = await list(alice, conversationId, '?limit=7&offset=30');
      assert.equal(beyond.status, 200);
      assert.deepEqual(beyond.body.messages, []);
    });

    it('uses limit 50 by default', async () => {
      const conversationId = await freshConversation();
      const sent = await Promise.all(
        Array.from({ length: 55 }, () => alice.post('/v1/messages', alice.textMessage(conversationId))),
      );
      assert.ok(sent.every((response) => response.status === 200));
      const response = await list(alice, conversationId);
      assert.equal(response.status, 200);
      assert.equal(response.body.limit, 50);
      assert.equal(response.body.offset, 0);
      assert.equal(response.body.total, 55);
      assert.equal(response.body.messages.length, 50);
      assert.deepEqual(response.body.messages.map((m: ListedMessage) => m.seq), Array.from({ length: 50 }, (_, i) => i + 1));
    });

    for (const [query, field] of [['?limit=101', 'limit'], ['?limit=0', 'limit'], ['?offset=-1', 'offset']] as const) {
      it(`rejects ${query} with 400 naming ${field}`, async () => {
        const conversationId = await freshConversation();
        const response = await list(alice, conversationId, query);
        assertProblem(response, 400, 'VALIDATION_FAILED');
        assert.ok(response.body.field_errors?.[field], `field_errors names ${field}: ${JSON.stringify(response.body)}`);
      });
    }

    it('answers 403 NOT_A_MEMBER to a user outside the conversation', async () => {
      const conversationId = await freshConversation();
      assertProblem(await list(carol, conversationId), 403, 'NOT_A_MEMBER');
    });

    it('answers 404 CONVERSATION_NOT_FOUND for an unknown conversation', async () => {
      assertProblem(await list(alice, randomUUID()), 404, 'CONVERSATION_NOT_FOUND');
    });

    it('shows a group message, with its sender in `from`, to every member', async () => {
      const conversationId = await alice.createConversation('group', [alice.userId, bob.userId, carol.userId]);
      const body = bob.textMessage(conversationId, { payload: { type: 'text', text: 'hi group' } });
      assert.equal((await bob.post('/v1/messages', body)).status, 200);
      for (const member of [alice, bob, carol]) {
        const response = await list(member, conversationId);
        assert.equal(response.status, 200, `${member.username} reads the group`);
        assert.equal(response.body.messages.length, 1);
        assert.equal(response.body.messages[0].message_id, body.message_id);
        assert.equal(response.body.messages[0].from, bob.userId);
        assert.equal(response.body.messages[0].payload.text, 'hi group');
      }
    });
  });

  describe('GET /v1/messages/{id}', () => {
    it('records accepted → in_transit → delivered with non-decreasing timestamps', async () => {
      const body = alice.textMessage(await freshConversation());
      assert.equal((await alice.post('/v1/messages', body)).status, 200);
      const message = await delivered(alice, body.message_id as string);
      const history: Array<{ status: string; at: string; reason: string | null }> = message.status_history;
      assert.deepEqual(history.map((h) => h.status), ['accepted', 'in_transit', 'delivered']);
      const times = history.map((h) => Date.parse(h.at));
      assert.ok(times.every((t) => !Number.isNaN(t)), 'every entry has a timestamp');
      for (let i = 1; i < times.length; i++) {
        assert.ok(times[i]! >= times[i - 1]!, `history[${i}].at ${history[i]!.at} >= ${history[i - 1]!.at}`);
      }
      assert.ok(times[2]! > times[0]!, 'delivered after accepted');
    });

    it('lists one delivery per channel and recipient', async () => {
      const conversationId = await alice.createConversation('group', [alice.userId, bob.userId, carol.userId]);
      const body = alice.textMessage(conversationId, { channels: ['all'] });
      assert.equal((await alice.post('/v1/messages', body)).status, 200);
      const message = await delivered(alice, body.message_id as string);
      const pairs = message.deliveries.map((d: { channel: string; recipient_id: string; status: string; reason: unknown }) => {
        assert.equal(d.status, 'delivered');
        assert.equal(d.reason, null);
        return `${d.channel}:${d.recipient_id}`;
      });
      assert.deepEqual(
        [...pairs].sort(),
        [`instagram:${bob.userId}`, `instagram:${carol.userId}`, `whatsapp:${bob.userId}`, `whatsapp:${carol.userId}`].sort(),
      );
    });

    it('answers 403 NOT_A_MEMBER to a user outside the conversation', async () => {
      const body = alice.textMessage(await freshConversation());
      assert.equal((await alice.post('/v1/messages', body)).status, 200);
      assertProblem(await dave.get(`/v1/messages/${body.message_id}`), 403, 'NOT_A_MEMBER');
    });

    it('answers 404 MESSAGE_NOT_FOUND for an unknown id', async () => {
      assertProblem(await alice.get(`/v1/messages/${randomUUID()}`), 404, 'MESSAGE_NOT_FOUND');
    });

    it('delivers every one of 50 messages sent concurrently across 5 conversations', async () => {
      const partners = [bob, carol, dave, eve];
      const conversations = await Promise.all([
        ...partners.map((partner) => alice.createConversation('private', [alice.userId, partner.userId])),
        alice.createConversation('group', [alice.userId, bob.userId, carol.userId, dave.userId, eve.userId]),
      ]);
      const bodies = conversations.flatMap((conversationId) =>
        Array.from({ length: 10 }, (_, i) => alice.textMessage(conversationId, { payload: { type: 'text', text: `c${i}` } })),
      );
      const responses = await Promise.all(bodies.map((body) => alice.post('/v1/messages', body)));
      assert.ok(responses.every((response) => response.status === 200), 'all 50 accepted');
      for (const conversationId of conversations) {
        const seqs = responses.filter((r) => r.body.conversation_id === conversationId).map((r) => r.body.seq as number);
        assert.deepEqual(seqs.sort((a, b) => a - b), Array.from({ length: 10 }, (_, i) => i + 1), 'seqs 1..10 per conversation');
      }
      await waitFor(async () => {
        for (const conversationId of conversations) {
          const page = (await list(alice, conversationId)).body;
          if (page.total !== 10 || !page.messages.every((m: ListedMessage) => m.status === 'delivered')) return false;
        }
        return true;
      }, { what: 'all 50 messages delivered', timeoutMs: 30_000 });
      for (const body of bodies) {
        const message = (await alice.get(`/v1/messages/${body.message_id}`)).body;
        assert.equal(message.status, 'delivered');
        assert.deepEqual(message.status_history.map((h: { status: string }) => h.status), ['accepted', 'in_transit', 'delivered']);
      }
    });
  });
});
