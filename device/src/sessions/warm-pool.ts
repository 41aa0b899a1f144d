// The warm pool (DESIGN.md, "Warm pool"): per kind, `target` sessions started and unassigned. A
// create at the default size claims one instead of launching; the pool refills in the background,
// only while no create needs the room, and backs off after failed launches
// (held by session-manager.test.ts 'warm pool').
import { backoffDelay } from '../shared/backoff.js';
import type { Log } from '../shared/log.js';
import type { SessionKind } from './backends/session-backend.js';
import type { EndReason, Session } from './session-records.js';
import type { PoolView } from '../shared/session-schemas.js';

const KINDS = ['headless', 'vnc'] as const;
const MAX_BACKOFF_MS = 60_000;

export interface WarmPoolOptions {
  targets: Record<SessionKind, number>;
  /** The size pool sessions start at; only creates of this size can claim one. */
  width: number;
  height: number;
  log: Log;
  now: () => number;
  /** Unassigned pool sessions of a kind, ready or starting. */
  sessions(kind: SessionKind): Session[];
  /** Whether a slot is free for one more session. */
  hasFreeSlot(): boolean;
  /** Whether a create is waiting for or making room: the pool then leaves the slots alone. */
  paused(): boolean;
  /** Registers a pool session (synchronously) and launches it. */
  launch(kind: SessionKind): { session: Session; launched: Promise<void> };
  end(s: Session, reason: EndReason): Promise<void>;
  onLaunched(): void;
  onLaunchFailed(kind: SessionKind, err: unknown): void;
}

export function createWarmPool(opts: WarmPoolOptions) {
  const { targets, log, now } = opts;
  let failures = 0;
  let blockedUntil = 0;
  let retry: NodeJS.Timeout | undefined;
  let closed = false;

  function launchOne(kind: SessionKind): void {
    const { session, launched } = opts.launch(kind);
    launched.then(
      () => {
        failures = 0;
        opts.onLaunched();
      },
      (err: unknown) => {
        failures += 1;
        const backoffMs = backoffDelay(failures, { baseMs: 1000, maxMs: MAX_BACKOFF_MS });
        blockedUntil = now() + backoffMs;
        log.error({ err, kind, backoffMs }, 'warm pool launch failed');
        opts.onLaunchFailed(kind, err);
        void opts.end(session, 'crashed');
        if (!closed) {
          clearTimeout(retry);
          retry = setTimeout(refill, backoffMs);
          retry.unref();
        }
      },
    );
  }

  function refill(): void {
    if (closed) return;
    // More warm sessions than the target (a lowered target, or containers adopted at start): trim.
    for (const kind of KINDS) {
      const extra = opts.sessions(kind).filter((s) => s.status === 'ready').slice(targets[kind]);
      for (const s of extra) void opts.end(s, 'evicted');
    }
    if (opts.paused() || now() < blockedUntil) return;
    for (const kind of KINDS) {
      while (opts.sessions(kind).length < targets[kind] && opts.hasFreeSlot()) launchOne(kind);
    }
  }

  return {
    refill,
    /** A ready pool session for a create of this kind and size, or null: the create starts cold. */
    claim(kind: SessionKind, width: number, height: number): Session | null {
      if (width !== opts.width || height !== opts.height) return null;
      return opts.sessions(kind).find((s) => s.status === 'ready') ?? null;
    },
    view(): PoolView {
      const view = (kind: SessionKind) => {
        const p = opts.sessions(kind);
        return {
          ready: p.filter((s) => s.status === 'ready').length,
          starting: p.filter((s) => s.status === 'starting').length,
          target: targets[kind],
        };
      };
      return { headless: view('headless'), vnc: view('vnc') };
    },
    close(): void {
      closed = true;
      clearTimeout(retry);
    },
  };
}

export type WarmPool = ReturnType<typeof createWarmPool>;
