import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HashingQueue } from '../../src/app/hashing-queue.ts';
import { DomainError } from '../../src/domain/errors.ts';
import type { PasswordHasher } from '../../src/ports/password-hasher.ts';

const busy = (error: unknown) => error instanceof DomainError && error.code === 'LOGIN_BUSY';

/** A hasher whose checks finish only when the test says so; `started` lists the passwords being checked, in order. */
class HeldHasher implements PasswordHasher {
  readonly started: string[] = [];
  readonly #pending: Array<{ finish: (matches: boolean) => void; fail: (error: Error) => void }> = [];

  hash(password: string): Promise<string> {
    return this.verify(password).then(() => `hashed ${password}`);
  }

  verify(password: string): Promise<boolean> {
    this.started.push(password);
    return new Promise((finish, fail) => this.#pending.push({ finish, fail }));
  }

  /** Finishes the oldest check still running, then lets the queue react. */
  async finishOne(): Promise<void> {
    this.#pending.shift()!.finish(false);
    await settle();
  }

  async failOne(): Promise<void> {
    this.#pending.shift()!.fail(new Error('native binding failed'));
    await settle();
  }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('HashingQueue', () => {
  it('runs at most `running` checks at once; the others wait', async () => {
    const hasher = new HeldHasher();
    const queue = new HashingQueue(hasher, { running: 2, waiting: 5 });
    for (const password of ['a', 'b', 'c']) void queue.verify(password, 'hash');
    await settle();
    assert.deepEqual(hasher.started, ['a', 'b']);
  });

  it('refuses a check at once with LOGIN_BUSY when running and waiting are both full', async () => {
    const hasher = new HeldHasher();
    const queue = new HashingQueue(hasher, { running: 1, waiting: 1 });
    void queue.verify('a', 'hash');
    void queue.verify('b', 'hash');
    await assert.rejects(queue.verify('c', 'hash'), busy);
    assert.deepEqual(hasher.started, ['a']);
  });

  it('refuses hashes too, the same way', async () => {
    const queue = new HashingQueue(new HeldHasher(), { running: 1, waiting: 0 });
    void queue.hash('a');
    await assert.rejects(queue.hash('b'), busy);
  });

  it('hands a finished check’s slot to the first one waiting', async () => {
    const hasher = new HeldHasher();
    const queue = new HashingQueue(hasher, { running: 1, waiting: 3 });
    for (const password of ['a', 'b', 'c']) void queue.verify(password, 'hash');
    await hasher.finishOne();
    assert.deepEqual(hasher.started, ['a', 'b']);
  });

  it('takes a check again once a waiting place is free', async () => {
    const hasher = new HeldHasher();
    const queue = new HashingQueue(hasher, { running: 1, waiting: 1 });
    void queue.verify('a', 'hash');
    void queue.verify('b', 'hash');
    await hasher.finishOne();
    void queue.verify('c', 'hash');
    await hasher.finishOne();
    assert.deepEqual(hasher.started, ['a', 'b', 'c']);
  });

  it('frees the slot of a check that fails, and passes the failure on', async () => {
    const hasher = new HeldHasher();
    const queue = new HashingQueue(hasher, { running: 1, waiting: 0 });
    const failed = assert.rejects(queue.verify('a', 'hash'), /native binding failed/);
    await hasher.failOne();
    await failed;
    void queue.verify('b', 'hash');
    assert.deepEqual(hasher.started, ['a', 'b']);
  });

  it('answers with the hasher’s result', async () => {
    const hasher = new HeldHasher();
    const queue = new HashingQueue(hasher, { running: 1, waiting: 0 });
    const checked = queue.verify('a', 'hash');
    await hasher.finishOne();
    assert.equal(await checked, false);
  });
});
