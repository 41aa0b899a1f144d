// One task at a time per key, in call order; different keys run side by side. The session manager
// runs a client's creates under its client_id, so concurrent creates of one client end with one
// session ('serialises concurrent creates of one client', session-manager.test.ts). A failed task
// does not block the next one, and a key with nothing queued holds no memory.

export interface KeyedLock {
  run<T>(key: string, task: () => Promise<T>): Promise<T>;
}

export function createKeyedLock(): KeyedLock {
  const tails = new Map<string, Promise<unknown>>();
  return {
    run<T>(key: string, task: () => Promise<T>): Promise<T> {
      const prev = tails.get(key) ?? Promise.resolve();
      const run = prev.catch(() => undefined).then(task);
      const tail = run.catch(() => undefined);
      tails.set(key, tail);
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return run;
    },
  };
}
