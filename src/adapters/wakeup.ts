/** One Wakeup per topic, shared by the writers of a topic and its readers in this process. */
export class TopicWakeups {
  readonly #wakeups = new Map<string, Wakeup>();

  of(topic: string): Wakeup {
    let wakeup = this.#wakeups.get(topic);
    if (!wakeup) this.#wakeups.set(topic, (wakeup = new Wakeup()));
    return wakeup;
  }
}

/** Lets a writer wake pollers in the same process, so a poll interval bounds latency only across processes. */
export class Wakeup {
  #waiters: Array<(woken: boolean) => void> = [];
  #notifications = 0;

  /** How many times notify() was called: a poller that reads it before a read knows whether it missed one. */
  get notifications(): number {
    return this.#notifications;
  }

  notify(): void {
    this.#notifications++;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake(true);
  }

  /** Resolves true on the next notify(), or false after `ms` (or on abort), whichever comes first. */
  wait(ms: number, signal?: AbortSignal): Promise<boolean> {
    return new Promise((resolve) => {
      const done = (woken: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', aborted);
        if (!woken) this.#waiters = this.#waiters.filter((waiter) => waiter !== done);
        resolve(woken);
      };
      const aborted = () => done(false);
      const timer = setTimeout(aborted, ms);
      signal?.addEventListener('abort', aborted, { once: true });
      this.#waiters.push(done);
    });
  }
}
