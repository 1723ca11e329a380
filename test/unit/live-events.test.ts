import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LiveEvents } from '../../src/app/live-events.ts';
import type { HubEvent } from '../../src/domain/hub-events.ts';
import type { FeedCursor, FeedListener, UserEvent, UserEventStore } from '../../src/ports/user-event-store.ts';

/** A feed in memory: enough of the port to drive LiveEvents. */
class MemoryFeeds implements UserEventStore {
  readonly events = new Map<string, UserEvent[]>();
  reads = 0;
  #listener: FeedListener | undefined;

  async append(events: readonly HubEvent[]): Promise<string[]> {
    const users = new Set<string>();
    for (const event of events) {
      for (const userId of event.audience === 'members' ? [] : event.audience) {
        const feed = this.events.get(userId) ?? [];
        feed.push({ eventId: (feed.at(-1)?.eventId ?? 0) + 1, type: event.type, occurredAt: new Date(event.occurred_at), data: event.data });
        this.events.set(userId, feed);
        users.add(userId);
      }
    }
    this.#listener?.([...users]);
    return [];
  }
  async read(cursors: readonly FeedCursor[], limit: number): Promise<Map<FeedCursor, UserEvent[]>> {
    this.reads++;
    await new Promise((resolve) => setImmediate(resolve));
    return new Map(cursors.map((c) => [c, (this.events.get(c.userId) ?? []).filter((event) => event.eventId > c.afterEventId).slice(0, limit)]));
  }
  async head(userId: string): Promise<number> {
    return this.events.get(userId)?.at(-1)?.eventId ?? 0;
  }
  async listen(listener: FeedListener): Promise<() => Promise<void>> {
    this.#listener = listener;
    return async () => void (this.#listener = undefined);
  }
  async prune(): Promise<number> {
    return 0;
  }
  dropBefore(userId: string, eventId: number): void {
    this.events.set(userId, (this.events.get(userId) ?? []).filter((event) => event.eventId >= eventId));
  }
}

const entry = (n: number, userId = 'u'): HubEvent => ({
  type: 'conversation.read',
  key: `k${n}`,
  conversation_id: 'c',
  audience: [userId],
  occurred_at: new Date().toISOString(),
  data: { conversation_id: 'c', user_id: userId, up_to_seq: n, at: new Date().toISOString() },
});

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 1));
}

describe('LiveEvents', () => {
  it('sends every event once and in order while appends keep announcing', async () => {
    const feeds = new MemoryFeeds();
    const live = new LiveEvents(feeds);
    await live.start();
    const sent: number[] = [];
    await live.open('u', 0, { started: () => {}, send: (event) => (sent.push(event.eventId), true), gap: () => assert.fail('no gap') });
    for (let n = 1; n <= 300; n++) await feeds.append([entry(n)]);
    await until(() => sent.length >= 300);
    assert.deepEqual(sent, Array.from({ length: 300 }, (_, i) => i + 1));
  });

  it('starts after the feed head when no last event id is given', async () => {
    const feeds = new MemoryFeeds();
    await feeds.append([entry(1), entry(2)]);
    const live = new LiveEvents(feeds);
    await live.start();
    const sent: number[] = [];
    await live.open('u', undefined, { started: (after) => sent.push(-after), send: (event) => (sent.push(event.eventId), true), gap: () => {} });
    await feeds.append([entry(3)]);
    await until(() => sent.length >= 2);
    assert.deepEqual(sent, [-2, 3], 'started after event 2, before any event');
  });

  it('reports the ids dropped from the feed before the client got them', async () => {
    const feeds = new MemoryFeeds();
    await feeds.append([entry(1), entry(2), entry(3), entry(4)]);
    feeds.dropBefore('u', 3);
    const live = new LiveEvents(feeds);
    const gaps: Array<[number, number]> = [];
    const sent: number[] = [];
    await live.open('u', 0, { started: () => {}, send: (event) => (sent.push(event.eventId), true), gap: (from, to) => gaps.push([from, to]) });
    await until(() => sent.length >= 2);
    assert.deepEqual(gaps, [[1, 2]]);
    assert.deepEqual(sent, [3, 4]);
  });

  it('reads for every due session of every user in one read', async () => {
    const feeds = new MemoryFeeds();
    const live = new LiveEvents(feeds);
    await live.start();
    const sent = new Map<string, number[]>();
    const users = Array.from({ length: 100 }, (_, i) => `user${i}`);
    for (const user of users) {
      await live.open(user, 0, { started: () => {}, send: (event) => (sent.set(user, [...(sent.get(user) ?? []), event.eventId]), true), gap: () => {} });
    }
    await until(() => feeds.reads > 0 && !live.busy);
    const before = feeds.reads;
    await feeds.append(users.map((user) => entry(1, user)));
    await until(() => users.every((user) => sent.get(user)?.length === 1));
    assert.equal(feeds.reads - before, 1, 'one read for the hundred sessions the append concerned');
  });

  it('ends the session when the sink cannot keep up', async () => {
    const feeds = new MemoryFeeds();
    await feeds.append([entry(1), entry(2), entry(3)]);
    const live = new LiveEvents(feeds);
    let calls = 0;
    await live.open('u', 0, { started: () => {}, send: () => (calls++, false), gap: () => {} });
    await until(() => calls > 0 && live.size === 0);
    assert.equal(calls, 1);
  });
});
