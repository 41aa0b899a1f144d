// One exponential backoff for the device and the fleet monitor (held by backoff.test.ts):
// - backoffDelay(): the wait itself, base · factor^(n−1) capped at max, for schedules that are not
//   a retry loop: the poller's next poll of an offline device (fleet/src/poller/device-state.ts)
//   and the warm pool's pause after failed launches (sessions/warm-pool.ts);
// - retry(): a retry loop on p-retry with the same formula, for alert deliveries
//   (fleet/src/alerts/channels/channel-set.ts), adding what p-retry lacks: a wait the other side
//   asks for (Retry-After, Telegram's retry_after), and a stop that ends a wait but keeps an
//   attempt's success.
// No jitter, as before: the poller spreads its cycles itself (OUTPOST_FLEET_POLL_JITTER_PCT), and
// the pool and the alert channels are one caller each.
import { setTimeout as sleep } from 'node:timers/promises';
import pRetry, { AbortError } from 'p-retry';

export interface BackoffOptions {
  /** The first wait. */
  baseMs: number;
  /** No wait is longer. */
  maxMs: number;
  /** Growth per further attempt; 2 unless said. */
  factor?: number;
}

/** The wait after failure number `attempt` (1-based): baseMs · factor^(attempt−1), at most maxMs. */
export function backoffDelay(attempt: number, { baseMs, maxMs, factor = 2 }: BackoffOptions): number {
  if (baseMs <= 0) return 0;
  return Math.min(maxMs, Math.round(baseMs * factor ** Math.max(0, attempt - 1)));
}

/** The backoff, or the wait the other side asked for when that is longer; at most maxMs either way. */
export function retryDelay(attempt: number, askedMs: number | null, opts: BackoffOptions): number {
  return Math.min(Math.max(backoffDelay(attempt, opts), askedMs ?? 0), opts.maxMs);
}

export interface RetryOptions extends BackoffOptions {
  /** Attempts after the first one failed. */
  retries: number;
  /** Whether a failure is worth another attempt (default: all). A TypeError never is: a bug, not a hiccup (p-retry's rule). */
  retryable?: (err: unknown) => boolean;
  /** A wait the other side asked for with this failure, in ms, or null. */
  askedDelayMs?: (err: unknown) => number | null;
  /** Called before each wait with the failure, the attempt that failed and the wait. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /**
   * Stops retrying: a wait ends at once with RetryStoppedError, a failure after it is final. The
   * attempt in flight is not aborted, and the first attempt always runs.
   */
  signal?: AbortSignal;
}

/** retry() was stopped while waiting to try again; `lastError` is the failure it would have retried. */
export class RetryStoppedError extends Error {
  constructor(readonly lastError: unknown) {
    super(`not retried: ${lastError instanceof Error ? lastError.message : String(lastError)}`);
    this.name = 'RetryStoppedError';
  }
}

/** Calls fn until it resolves, a failure is not retryable, the retries are used up, or signal stops it. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions): Promise<T> {
  const { signal, retryable = () => true } = opts;
  if (signal?.aborted) return fn(1);
  let last: { err: unknown; final: boolean } | undefined;
  let done: { value: T } | undefined;
  try {
    return await pRetry(
      async (attempt) => {
        try {
          const value = await fn(attempt);
          done = { value };
          return value;
        } catch (err) {
          // p-retry would end on a TypeError by itself, but only after onFailedAttempt announced a retry.
          const final = signal?.aborted === true || err instanceof TypeError || !retryable(err);
          last = { err, final };
          if (final) throw new AbortError(err instanceof Error ? err : new Error(String(err)));
          throw err;
        }
      },
      {
        retries: opts.retries,
        minTimeout: Math.max(0, opts.baseMs),
        maxTimeout: opts.maxMs,
        factor: opts.factor ?? 2,
        randomize: false,
        ...(signal ? { signal } : {}),
        onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
          if (retriesLeft <= 0) return;
          const backoff = backoffDelay(attemptNumber, opts);
          const wait = retryDelay(attemptNumber, opts.askedDelayMs?.(error) ?? null, opts);
          opts.onRetry?.(error, attemptNumber, wait);
          // p-retry then waits the backoff; a longer wait that was asked for is made up here.
          if (wait > backoff) await sleep(wait - backoff, undefined, signal ? { signal } : {});
        },
      },
    );
  } catch (err) {
    // Stopped just as an attempt succeeded (p-retry checks the signal after each attempt): a success.
    if (done) return done.value;
    if (last && !last.final && err !== last.err && signal?.aborted) throw new RetryStoppedError(last.err);
    throw err;
  }
}
