import { describe, expect, it } from 'vitest';
import { backoffDelay, retry, retryDelay, RetryStoppedError } from './backoff.js';

class Refused extends Error {
  constructor(readonly retryable: boolean, readonly askedMs: number | null = null) {
    super(retryable ? 'try again' : 'never');
  }
}

/** A function that fails with the given errors in turn, then resolves 'done'; it records its attempts. */
function failing(...errors: unknown[]) {
  const attempts: number[] = [];
  const fn = async (attempt: number) => {
    attempts.push(attempt);
    if (errors.length > 0) throw errors.shift();
    return 'done';
  };
  return { fn, attempts };
}

describe('backoffDelay', () => {
  it('doubles from the base up to the cap', () => {
    expect([1, 2, 3, 4, 5].map((n) => backoffDelay(n, { baseMs: 500, maxMs: 30_000 }))).toEqual([500, 1000, 2000, 4000, 8000]);
    expect(backoffDelay(7, { baseMs: 500, maxMs: 30_000 })).toBe(30_000);
    expect(backoffDelay(3, { baseMs: 100, maxMs: 10_000, factor: 3 })).toBe(900);
  });

  it('stays at the cap however many failures, and is 0 without a base', () => {
    expect(backoffDelay(5000, { baseMs: 15_000, maxMs: 300_000 })).toBe(300_000);
    expect(backoffDelay(5000, { baseMs: 0, maxMs: 300_000 })).toBe(0);
    expect(backoffDelay(0, { baseMs: 1000, maxMs: 60_000 })).toBe(1000);
  });

  it('gives the schedules the poller and the warm pool had before', () => {
    // Poller: min(backoffMax, interval · 2^min(beyond, 20)), beyond = failures past offline.
    for (const [intervalMs, maxMs] of [[15_000, 300_000], [200, 86_400_000], [3_600_000, 1000]] as const) {
      for (let beyond = 0; beyond < 40; beyond += 1) {
        expect(backoffDelay(beyond + 1, { baseMs: intervalMs, maxMs })).toBe(Math.min(maxMs, intervalMs * 2 ** Math.min(beyond, 20)));
      }
    }
    // Warm pool: min(60 s, 1 s · 2^min(failures − 1, 6)).
    for (let failures = 1; failures < 20; failures += 1) {
      expect(backoffDelay(failures, { baseMs: 1000, maxMs: 60_000 })).toBe(Math.min(60_000, 1000 * 2 ** Math.min(failures - 1, 6)));
    }
  });
});

describe('retryDelay', () => {
  it('waits what the other side asked for when that is longer than the backoff, never past the cap', () => {
    const opts = { baseMs: 500, maxMs: 30_000 };
    expect(retryDelay(1, null, opts)).toBe(500);
    expect(retryDelay(1, 2000, opts)).toBe(2000);
    expect(retryDelay(4, 2000, opts)).toBe(4000);
    expect(retryDelay(1, 3_600_000, opts)).toBe(30_000);
  });
});

describe('retry', () => {
  const fast = { baseMs: 1, maxMs: 10 };

  it('tries again after failures until the function succeeds', async () => {
    const { fn, attempts } = failing(new Refused(true), new Refused(true));
    const waits: Array<[number, number]> = [];
    await expect(retry(fn, { ...fast, retries: 3, onRetry: (_e, attempt, ms) => waits.push([attempt, ms]) })).resolves.toBe('done');
    expect(attempts).toEqual([1, 2, 3]);
    expect(waits).toEqual([[1, 1], [2, 2]]);
  });

  it('gives up after the retries with the last failure', async () => {
    const last = new Refused(true);
    const { fn, attempts } = failing(new Refused(true), new Refused(true), last);
    const retried: number[] = [];
    await expect(retry(fn, { ...fast, retries: 2, onRetry: (_e, attempt) => retried.push(attempt) })).rejects.toBe(last);
    expect(attempts).toEqual([1, 2, 3]);
    expect(retried).toEqual([1, 2]);
  });

  it('does not retry a failure that says another attempt cannot help, nor a TypeError', async () => {
    const never = new Refused(false);
    const a = failing(never);
    const retried: unknown[] = [];
    const opts = { ...fast, retries: 3, retryable: (e: unknown) => !(e instanceof Refused) || e.retryable, onRetry: (e: unknown) => retried.push(e) };
    await expect(retry(a.fn, opts)).rejects.toBe(never);
    expect(a.attempts).toEqual([1]);
    const bug = new TypeError('x is not a function');
    const b = failing(bug);
    await expect(retry(b.fn, opts)).rejects.toBe(bug);
    expect(b.attempts).toEqual([1]);
    expect(retried).toEqual([]);
  });

  it('waits as long as a failure asks when that is longer than the backoff', async () => {
    const { fn, attempts } = failing(new Refused(true, 30), new Refused(true, 5));
    const waits: number[] = [];
    const result = retry(fn, { baseMs: 1, maxMs: 1000, retries: 3, askedDelayMs: (e) => (e as Refused).askedMs, onRetry: (_e, _n, ms) => waits.push(ms) });
    await expect(result).resolves.toBe('done');
    expect(waits).toEqual([30, 5]);
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('a stop ends a wait at once and says which failure was not retried', async () => {
    const stop = new AbortController();
    const first = new Refused(true);
    const { fn, attempts } = failing(first);
    // An hour of backoff: the test can only finish because the stop ends the wait.
    const result = retry(fn, { baseMs: 3_600_000, maxMs: 3_600_000, retries: 3, signal: stop.signal, onRetry: () => setImmediate(() => stop.abort()) });
    const err = await result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetryStoppedError);
    expect((err as RetryStoppedError).lastError).toBe(first);
    expect(attempts).toEqual([1]);
  });

  it('a stop also ends a wait that was asked for', async () => {
    const stop = new AbortController();
    const { fn } = failing(new Refused(true, 3_600_000));
    const result = retry(fn, { baseMs: 1, maxMs: 3_600_000, retries: 3, signal: stop.signal, askedDelayMs: (e) => (e as Refused).askedMs, onRetry: () => setImmediate(() => stop.abort()) });
    await expect(result).rejects.toBeInstanceOf(RetryStoppedError);
  });

  it('after a stop, a failure is final and a success is kept', async () => {
    const stop = new AbortController();
    stop.abort();
    const fails = failing(new Refused(true), new Refused(true));
    // The first attempt always runs, even when stopped before it.
    await expect(retry(fails.fn, { ...fast, retries: 3, signal: stop.signal })).rejects.toBeInstanceOf(Refused);
    expect(fails.attempts).toEqual([1]);

    const running = new AbortController();
    const succeeds = retry(
      async () => {
        running.abort();
        return 'sent';
      },
      { ...fast, retries: 3, signal: running.signal },
    );
    await expect(succeeds).resolves.toBe('sent');

    const late = new AbortController();
    const failsLate = retry(
      async () => {
        late.abort();
        throw new Refused(true);
      },
      { ...fast, retries: 3, signal: late.signal },
    );
    await expect(failsLate).rejects.toBeInstanceOf(Refused);
  });
});
