// Fans a notification out to every configured channel. Per channel: retries with exponential
// backoff (device/src/backoff.ts), a sliding-window rate limit, and — when more than
// `digestThreshold` notifications are waiting for the limit — one digest instead of a flood.
// close() is bounded: it flushes what waits, gives in-flight requests closeTimeoutMs, aborts the
// rest and leaves no timer behind (channel-set test 'close() with pending sends finishes quickly
// and leaves no handles').
import { retry, retryDelay, RetryStoppedError } from '../../../../device/src/shared/index.js';
import PQueue from 'p-queue';
import { ChannelDeliveryError } from './channel-error.js';
import { buildDigest } from './digest.js';
import { type Channel, type ChannelLog, type Notification, routedTo } from './types.js';

export interface DeliveryResult {
  channel: string;
  ok: boolean;
  attempts: number;
  error: string | null;
  /** True when the notification went out rolled into a digest (the result is the digest's). */
  digested?: boolean;
}

export interface ChannelSetOptions {
  log: ChannelLog;
  /** Attempts after the first one failed. */
  retries?: number;
  /** Wait before the first retry; doubles for each further one. */
  backoffMs?: number;
  /** Notifications per channel per rateWindowMs. */
  maxPerMinute?: number;
  /** More than this many waiting for the rate limit are rolled into one digest. */
  digestThreshold?: number;
  /** The rate limit's window; one minute outside tests. */
  rateWindowMs?: number;
  /** How long close() lets in-flight deliveries finish before aborting them. */
  closeTimeoutMs?: number;
}

export interface ChannelSet {
  /**
   * Resolves with one result per channel the notification's severity is routed to, once each has delivered or given up; a notification held
   * back by the rate limit resolves when it (or the digest it joined) goes out.
   */
  send(n: Notification): Promise<DeliveryResult[]>;
  /** Idempotent; resolves within about closeTimeoutMs + ABORT_GRACE_MS. */
  close(): Promise<void>;
}

/** Telegram may ask for minutes; an alert that late is worth less than one sent on the next try. */
export const MAX_RETRY_DELAY_MS = 30_000;
/** After aborting, how long close() waits for channels to notice before giving their sends up. */
export const ABORT_GRACE_MS = 1_000;

/** What the receiver asked for (Retry-After, Telegram's retry_after), in ms, or null. */
const askedDelayMs = (err: unknown): number | null => (err instanceof ChannelDeliveryError && err.retryAfterS !== null ? err.retryAfterS * 1000 : null);

/** Exponential backoff, or what the receiver asked for if longer; capped (backoff.ts). */
export function retryDelayMs(err: unknown, attempt: number, backoffMs: number): number {
  return retryDelay(attempt, askedDelayMs(err), { baseMs: backoffMs, maxMs: MAX_RETRY_DELAY_MS });
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

type Settle = (r: DeliveryResult) => void;

/** One message to one channel: a single notification or, with several items, a digest. */
interface Entry {
  items: Notification[];
  waiters: Settle[];
  attempts: number;
  done: boolean;
}

interface Lane {
  channel: Channel;
  /** What waits for the rate limit, oldest first; the limiter holds one dispatch task per entry. */
  queue: Entry[];
  /** The queued digest that absorbs new arrivals until it goes out. */
  digest: Entry | null;
  /**
   * The rate limit: at most maxPerMinute dispatches in any rateWindowMs. `strict` makes p-queue's
   * window slide; its default fixed windows would let 2 × maxPerMinute through across a boundary.
   * Retries are not dispatches and do not count, as before.
   */
  limiter: PQueue;
  /** Entries queued or in flight, so close() can settle them whatever happens. */
  open: Set<Entry>;
  controllers: Set<AbortController>;
}

export function createChannelSet(channels: readonly Channel[], opts: ChannelSetOptions): ChannelSet {
  const {
    log,
    retries = 3,
    backoffMs = 500,
    maxPerMinute = 30,
    digestThreshold = 20,
    rateWindowMs = 60_000,
    closeTimeoutMs = 5_000,
  } = opts;
  for (const [key, value, min] of [
    ['retries', retries, 0],
    ['backoffMs', backoffMs, 0],
    ['maxPerMinute', maxPerMinute, 1],
    ['digestThreshold', digestThreshold, 1],
    ['rateWindowMs', rateWindowMs, 1],
    ['closeTimeoutMs', closeTimeoutMs, 0],
  ] as const) {
    if (!Number.isInteger(value) || value < min) throw new Error(`createChannelSet: ${key} must be an integer >= ${min}, got ${value}`);
  }

  const lanes: Lane[] = channels.map((channel) => ({
    channel,
    queue: [],
    digest: null,
    limiter: new PQueue({ intervalCap: maxPerMinute, interval: rateWindowMs, strict: true }),
    open: new Set(),
    controllers: new Set(),
  }));
  const deliveries = new Set<Promise<void>>();
  // Aborted by close(): ends every wait for a retry at once.
  const stopRetries = new AbortController();
  let closed = false;
  let closing: Promise<void> | undefined;

  function finish(lane: Lane, entry: Entry, result: Omit<DeliveryResult, 'channel' | 'digested'>): void {
    if (entry.done) return;
    entry.done = true;
    lane.open.delete(entry);
    const digested = entry.items.length > 1;
    for (const settle of entry.waiters) settle({ channel: lane.channel.name, ...result, ...(digested ? { digested } : {}) });
  }

  function merge(entries: readonly Entry[]): Entry {
    return { items: entries.flatMap((e) => e.items), waiters: entries.flatMap((e) => e.waiters), attempts: 0, done: false };
  }

  function enqueue(lane: Lane, n: Notification, settle: Settle): void {
    if (lane.digest) {
      lane.digest.items.push(n);
      lane.digest.waiters.push(settle);
      return;
    }
    const entry: Entry = { items: [n], waiters: [settle], attempts: 0, done: false };
    lane.queue.push(entry);
    lane.open.add(entry);
    // Runs at once (synchronously) while the window has room; otherwise when a slot frees.
    schedule(lane);
    if (lane.queue.length > digestThreshold) {
      const digest = merge(lane.queue);
      for (const e of lane.queue) lane.open.delete(e);
      lane.queue = [digest];
      lane.open.add(digest);
      lane.digest = digest;
      // One task for the one entry left; the dropped tasks' promises are never awaited.
      lane.limiter.clear();
      schedule(lane);
      log.warn({ channel: lane.channel.name, waiting: digest.items.length }, 'rate limit reached: rolling the waiting notifications into one digest');
    }
  }

  /** Queues a dispatch of the lane's oldest entry for when the rate limit allows it. */
  function schedule(lane: Lane): void {
    lane.limiter
      .add(() => {
        // After close() the waiting entries belong to its flush.
        if (closed) return;
        const entry = lane.queue.shift();
        if (!entry) return;
        if (entry === lane.digest) lane.digest = null;
        dispatch(lane, entry);
      })
      .catch((err: unknown) => log.error({ err, channel: lane.channel.name }, 'notification dispatch failed'));
  }

  function dispatch(lane: Lane, entry: Entry): void {
    const n = entry.items.length === 1 ? entry.items[0]! : buildDigest(entry.items, new Date());
    const delivery = deliver(lane, entry, n)
      // deliver() handles channel failures itself; this only keeps a bug from stranding the callers.
      .catch((err: unknown) => ({ ok: false, attempts: entry.attempts, error: err instanceof Error ? err.message : String(err) }))
      .then((result) => finish(lane, entry, result));
    deliveries.add(delivery);
    void delivery.finally(() => deliveries.delete(delivery));
  }

  async function deliver(lane: Lane, entry: Entry, n: Notification): Promise<Omit<DeliveryResult, 'channel'>> {
    const { channel } = lane;
    const context = { channel: channel.name, alertId: n.alertId, kind: n.kind };
    const attempt = async () => {
      entry.attempts += 1;
      const controller = new AbortController();
      lane.controllers.add(controller);
      try {
        await channel.send(n, { signal: controller.signal });
      } finally {
        lane.controllers.delete(controller);
      }
    };
    try {
      await retry(attempt, {
        retries,
        baseMs: backoffMs,
        maxMs: MAX_RETRY_DELAY_MS,
        signal: stopRetries.signal,
        retryable: (err) => !(err instanceof ChannelDeliveryError) || err.retryable,
        askedDelayMs,
        // The message only: channels redact it, while a foreign error object may carry a URL with a token.
        onRetry: (err, attempts, retryInMs) => log.warn({ ...context, attempts, error: messageOf(err), retryInMs }, 'notification delivery failed, retrying'),
      });
      if (entry.attempts > 1) log.info({ ...context, attempts: entry.attempts }, 'notification delivered after retrying');
      return { ok: true, attempts: entry.attempts, error: null };
    } catch (err) {
      if (err instanceof RetryStoppedError) {
        return { ok: false, attempts: entry.attempts, error: `${messageOf(err.lastError)} (not retried: the channel set closed)` };
      }
      const error = messageOf(err);
      log.error({ ...context, attempts: entry.attempts, error }, 'notification not delivered');
      return { ok: false, attempts: entry.attempts, error };
    }
  }

  /** Resolves true if promise settled within ms; the timer never outlives the call. */
  async function settledWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    try {
      return await Promise.race([promise.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async function shutdown(): Promise<void> {
    closed = true;
    // No dispatch task runs after this; p-queue drops its timer once idle.
    for (const lane of lanes) lane.limiter.clear();
    stopRetries.abort();
    // What the rate limit still holds back gets one attempt, as one message per channel, rather
    // than vanishing with the process: a lost "resolved" leaves people chasing a fixed problem.
    for (const lane of lanes) {
      const waiting = lane.queue.splice(0);
      lane.digest = null;
      if (waiting.length === 0) continue;
      const flush = merge(waiting);
      for (const e of waiting) lane.open.delete(e);
      lane.open.add(flush);
      dispatch(lane, flush);
    }
    if (!(await settledWithin(Promise.allSettled([...deliveries]), closeTimeoutMs))) {
      log.warn({ inFlight: deliveries.size }, 'aborting notification deliveries still in flight at close');
      for (const lane of lanes) for (const controller of lane.controllers) controller.abort();
      await settledWithin(Promise.allSettled([...deliveries]), ABORT_GRACE_MS);
    }
    await settledWithin(
      Promise.allSettled(lanes.map(async (lane) => lane.channel.close?.())),
      ABORT_GRACE_MS,
    );
    // A channel that ignored the abort still gets an answer for its callers, so close() stays bounded.
    for (const lane of lanes) {
      for (const entry of [...lane.open]) {
        finish(lane, entry, { ok: false, attempts: entry.attempts, error: 'abandoned: the channel set closed' });
      }
    }
  }

  return {
    send(n) {
      if (closed) {
        return Promise.resolve(lanes.map((l) => ({ channel: l.channel.name, ok: false, attempts: 0, error: 'the channel set is closed' })));
      }
      // Routing by severity: a channel set to take only what is more severe never sees the rest.
      const routed = lanes.filter((lane) => routedTo(lane.channel, n.severity));
      return Promise.all(routed.map((lane) => new Promise<DeliveryResult>((settle) => enqueue(lane, n, settle))));
    },
    close() {
      closing ??= shutdown();
      return closing;
    },
  };
}
