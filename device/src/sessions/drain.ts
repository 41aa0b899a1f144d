// Draining (Selenium Grid's node drain, balena's update lock): while it lasts no new session is
// created (503 `draining` with Retry-After), the warm pool is emptied and not refilled, and live
// client sessions keep working until they end by themselves, by DELETE, or at the deadline the
// caller gave. It is `drained` once no client session is left: an update waits for that
// (scripts/update.sh). In memory only: a restart (the update's switch) ends it.
import type { Log } from '../shared/log.js';
import { DrainingError } from '../shared/errors.js';

export interface DrainView {
  state: 'draining' | 'drained';
  /** ISO time the drain started. */
  since: string;
  /** ISO time live sessions are ended at, or null to wait for them however long they take. */
  deadline: string | null;
  /** Client sessions still live. */
  sessions: number;
}

/** What a drain acts on: the session manager. */
export interface DrainTarget {
  clientSessions(): number;
  endPool(): Promise<void>;
  endClients(): Promise<void>;
  /** The drain ended: the warm pool fills again. */
  resume(): void;
}

/** Retry-After for a create refused while draining without a deadline: an update takes about this. */
const RETRY_AFTER_S = 60;

export function createDrain(opts: { target: DrainTarget; log: Log; now?: () => number }) {
  const { target, log } = opts;
  const now = opts.now ?? Date.now;
  let drain: { since: number; deadline: number | null } | null = null;
  let timer: NodeJS.Timeout | undefined;

  function clearTimer(): void {
    clearTimeout(timer);
    timer = undefined;
  }

  function view(): DrainView | null {
    if (!drain) return null;
    const sessions = target.clientSessions();
    return {
      state: sessions === 0 ? 'drained' : 'draining',
      since: new Date(drain.since).toISOString(),
      deadline: drain.deadline === null ? null : new Date(drain.deadline).toISOString(),
      sessions,
    };
  }

  return {
    get active(): boolean {
      return drain !== null;
    },
    view,
    /** Start draining (or, already draining, set a new deadline when one is given). */
    start(timeoutS?: number): DrainView {
      const t = now();
      if (!drain) {
        drain = { since: t, deadline: null };
        log.info({ sessions: target.clientSessions() }, 'draining: no new sessions, the warm pool ends');
        void target.endPool().catch((err: unknown) => log.warn({ err }, 'ending the warm pool failed'));
      }
      if (timeoutS !== undefined) {
        drain.deadline = t + timeoutS * 1000;
        clearTimer();
        timer = setTimeout(() => {
          timer = undefined;
          if (!drain || target.clientSessions() === 0) return;
          log.info({ sessions: target.clientSessions() }, 'drain deadline: ending the sessions left');
          void target.endClients().catch((err: unknown) => log.warn({ err }, 'ending sessions at the drain deadline failed'));
        }, timeoutS * 1000);
        timer.unref();
      }
      return view()!;
    },
    /** End the drain; returns whether there was one. */
    stop(): boolean {
      if (!drain) return false;
      drain = null;
      clearTimer();
      log.info('drain ended: sessions are created again');
      target.resume();
      return true;
    },
    /** Throws DrainingError while draining; creates call it before anything starts. */
    admit(): void {
      if (!drain) return;
      const left = drain.deadline === null ? RETRY_AFTER_S : Math.ceil((drain.deadline - now()) / 1000);
      throw new DrainingError(Math.max(1, left));
    },
    close: clearTimer,
  };
}

export type Drain = ReturnType<typeof createDrain>;
