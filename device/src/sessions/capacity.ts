// Session slots and the capacity policy (DESIGN.md, "Sessions"): at most limit() sessions, and when
// full, `reject` (429), `queue` (bounded, with a timeout) or `recycle` (end the least recently used
// client session). With admission by pressure (pressure.ts), a host over its limits is "full" too. Warm-pool sessions are a cache and give way first under every policy. Knows no
// browser: the manager says how many sessions hold a slot and how to end one
// (held by capacity.test.ts and session-manager.test.ts 'capacity policies').
import type { CapacityPolicy } from '../config.js';
import { CapacityExceededError, HostOverloadedError, NoCapacityError, QueueTimeoutError, ShuttingDownError } from '../shared/errors.js';

export interface CapacityOptions {
  /** Slots in all: the configured maximum, or fewer when the backend runs short (docker: host ports). */
  limit(): number;
  /** Slots taken now (starting, ready and closing sessions). */
  used(): number;
  queueLength: number;
  queueTimeoutS: number;
  /** Ends one warm-pool session; false when there is none. */
  evictSpare(): Promise<boolean>;
  /** Ends the least recently used ready client session; false when there is none. */
  recycleLeastRecentlyUsed(): Promise<boolean>;
  /** Why the host takes no new session now (pressure.ts), or null; none means no such limit. */
  pressure?: () => string | null;
  /** Retry-After of a refusal for pressure, seconds. */
  pressureRetryAfterS?: number;
}

interface Waiter {
  /** A free slot (woken by release) or the host back under its limits (woken by relieved). */
  waitsFor: 'slot' | 'relief';
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

/** When a create gives up waiting: OUTPOST_QUEUE_TIMEOUT_S after it first had to wait, in all. */
export interface Wait {
  deadline: number | null;
  /** Called once, when the create first has to wait. */
  onQueued?: () => void;
}

export function createCapacity(opts: CapacityOptions) {
  const waiters: Waiter[] = [];
  /** Slots promised to queued creates that were woken but have not registered their session yet. */
  let reserved = 0;
  /** Creates currently making room. */
  let acquiring = 0;
  let closed = false;

  const hasFreeSlot = () => opts.used() + reserved < opts.limit();

  function wait(waitsFor: Waiter['waitsFor'], w: Wait): Promise<void> {
    if (w.deadline === null) {
      w.deadline = Date.now() + opts.queueTimeoutS * 1000;
      w.onQueued?.();
    }
    const ms = Math.max(0, w.deadline - Date.now());
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        waitsFor,
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = waiters.indexOf(waiter);
          if (i !== -1) waiters.splice(i, 1);
          reject(new QueueTimeoutError(opts.queueTimeoutS));
        }, ms),
      };
      waiters.push(waiter);
    });
  }

  const queueFull = () =>
    new CapacityExceededError(`all ${opts.limit()} session slots are in use and the queue is full (${opts.queueLength} waiting)`, 5);

  async function makeRoom<T>(policy: CapacityPolicy, register: () => T, w: Wait): Promise<T> {
    for (;;) {
      if (closed) throw new ShuttingDownError();
      if (hasFreeSlot()) return register();
      if (await opts.evictSpare()) continue;
      if (policy === 'reject') {
        throw new CapacityExceededError(`all ${opts.limit()} session slots are in use (OUTPOST_CAPACITY_POLICY=reject); end a session or retry later`, 5);
      }
      if (policy === 'recycle') {
        if (await opts.recycleLeastRecentlyUsed()) continue;
        throw new NoCapacityError(`all ${opts.limit()} session slots are busy starting; nothing can be recycled`);
      }
      if (waiters.length >= opts.queueLength) throw queueFull();
      await wait('slot', w);
      reserved -= 1;
    }
  }

  return {
    hasFreeSlot,
    /**
     * Returns once the host is under its admission limits. Meanwhile `queue` waits (in the queue,
     * counted against its length and timeout) and the other policies refuse with 429
     * host_overloaded: ending another client's session would not make the host less busy.
     */
    async admit(policy: CapacityPolicy, w: Wait): Promise<void> {
      for (;;) {
        if (closed) throw new ShuttingDownError();
        const why = opts.pressure?.() ?? null;
        if (why === null) return;
        if (policy !== 'queue') throw new HostOverloadedError(`${why}; retry later`, opts.pressureRetryAfterS ?? 5);
        if (waiters.length >= opts.queueLength) throw queueFull();
        await wait('relief', w);
      }
    },
    /** The host is back under its limits: every create waiting for that looks again. */
    relieved(): void {
      for (const waiter of waiters.filter((x) => x.waitsFor === 'relief')) {
        waiters.splice(waiters.indexOf(waiter), 1);
        clearTimeout(waiter.timer);
        waiter.resolve();
      }
    },
    /**
     * Makes room for one more session under the policy and calls `register`, synchronously in the
     * tick the slot is seen free, so nothing else can take it.
     */
    async acquire<T>(policy: CapacityPolicy, register: () => T, w: Wait = { deadline: null }): Promise<T> {
      acquiring += 1;
      try {
        return await makeRoom(policy, register, w);
      } finally {
        acquiring -= 1;
      }
    },
    /** A slot was given back: the longest waiting create gets it. */
    release(): void {
      const i = waiters.findIndex((x) => x.waitsFor === 'slot');
      if (i === -1) return;
      const [w] = waiters.splice(i, 1);
      clearTimeout(w!.timer);
      reserved += 1;
      w!.resolve();
    },
    /**
     * Someone is waiting for, or making, room. The pool does not refill then, or evicting a pool
     * session would only make room for its replacement.
     */
    get contended(): boolean {
      return waiters.length > 0 || acquiring > 0;
    },
    get queued(): number {
      return waiters.length;
    },
    /** Nothing more is admitted; queued creates fail with ShuttingDownError. */
    close(): void {
      closed = true;
      for (const w of waiters.splice(0)) {
        clearTimeout(w.timer);
        w.reject(new ShuttingDownError());
      }
    },
  };
}

export type Capacity = ReturnType<typeof createCapacity>;
