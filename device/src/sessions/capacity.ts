// Session slots and the capacity policy (DESIGN.md, "Sessions"): at most limit() sessions, and when
// full, `reject` (429), `queue` (bounded, with a timeout) or `recycle` (end the least recently used
// client session). Warm-pool sessions are a cache and give way first under every policy. Knows no
// browser: the manager says how many sessions hold a slot and how to end one
// (held by capacity.test.ts and session-manager.test.ts 'capacity policies').
import type { CapacityPolicy } from '../config.js';
import { CapacityExceededError, NoCapacityError, QueueTimeoutError, ShuttingDownError } from '../shared/errors.js';

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
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export function createCapacity(opts: CapacityOptions) {
  const waiters: Waiter[] = [];
  /** Slots promised to queued creates that were woken but have not registered their session yet. */
  let reserved = 0;
  /** Creates currently making room. */
  let acquiring = 0;
  let closed = false;

  const hasFreeSlot = () => opts.used() + reserved < opts.limit();

  function waitForSlot(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = waiters.indexOf(waiter);
          if (i !== -1) waiters.splice(i, 1);
          reject(new QueueTimeoutError(opts.queueTimeoutS));
        }, opts.queueTimeoutS * 1000),
      };
      waiters.push(waiter);
    });
  }

  async function makeRoom<T>(policy: CapacityPolicy, register: () => T): Promise<T> {
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
      if (waiters.length >= opts.queueLength) {
        throw new CapacityExceededError(`all ${opts.limit()} session slots are in use and the queue is full (${opts.queueLength} waiting)`, 5);
      }
      await waitForSlot();
      reserved -= 1;
    }
  }

  return {
    hasFreeSlot,
    /**
     * Makes room for one more session under the policy and calls `register`, synchronously in the
     * tick the slot is seen free, so nothing else can take it.
     */
    async acquire<T>(policy: CapacityPolicy, register: () => T): Promise<T> {
      acquiring += 1;
      try {
        return await makeRoom(policy, register);
      } finally {
        acquiring -= 1;
      }
    },
    /** A slot was given back: the longest waiting create gets it. */
    release(): void {
      const w = waiters.shift();
      if (w) {
        clearTimeout(w.timer);
        reserved += 1;
        w.resolve();
      }
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
