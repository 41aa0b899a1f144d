// Sessions, the warm pool and their lifetimes (DESIGN.md, "Sessions", "Warm pool", "State and
// recovery"). Backend-agnostic: a backend starts and stops browsers; this module decides when.
//
// Invariants (held by the tests named):
// - a create that matches a pool kind at the default size claims a ready pool session without
//   launching anything ('claims a warm session without launching a browser');
// - live sessions (client + pool, starting included) never exceed max_sessions; pool sessions are
//   the first to give way ('capacity policies');
// - every session that ends has its backend resources closed, and state.json is rewritten
//   ('leak test', 'kill -9 recovery').
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import cron, { type ScheduledTask } from 'node-cron';
import type { Browser, Page } from 'playwright-core';
import type { CapacityPolicy, DeviceConfig } from '../config.js';
import type { SessionsSummary } from '../contract.js';
import {
  AppError,
  CapacityExceededError,
  LaunchFailedError,
  NoCapacityError,
  QueueTimeoutError,
  SessionNotFoundError,
} from '../errors.js';
import type { Log } from '../log.js';
import { chromiumType } from './playwright.js';
import type { LaunchedBrowser, PersistedSession, SessionBackend, SessionKind } from './backends/session-backend.js';
import type { CreateSessionBody, PoolView, SessionStatus, StartUrlWait, TouchSessionBody } from './session-schemas.js';
import { createStateStore, type StateStore } from './state-store.js';

export type EndReason = 'deleted' | 'ttl' | 'idle' | 'recycled' | 'replaced' | 'crashed' | 'evicted' | 'shutdown' | 'start_url_failed' | 'removed';

export interface Session {
  id: string;
  kind: SessionKind;
  headless: boolean;
  vnc: boolean;
  width: number;
  height: number;
  clientId: string | null;
  labels: Record<string, string>;
  startUrl: string | null;
  ttlS: number;
  idleS: number;
  /** An unassigned warm-pool session. */
  pool: boolean;
  fromPool: boolean;
  status: SessionStatus;
  createdAt: number;
  lastSeenAt: number;
  ttlDeadline: number;
  browser: LaunchedBrowser | null;
  /** The appliance's own connection, holding the start page (and the visible window of VNC sessions). */
  owner: { browser: Browser; page: Page } | null;
  connections: Set<{ close: (code: number, reason: string) => void }>;
  launching: Promise<void> | null;
  ending: Promise<void> | null;
}

export interface SessionEvents {
  created?(s: Session, source: 'pool' | 'cold' | 'reused', launchMs: number | null): void;
  ended?(s: Session, reason: EndReason): void;
  poolLaunchFailed?(kind: SessionKind, err: unknown): void;
}

export interface SessionManagerOptions {
  config: DeviceConfig;
  backend: SessionBackend;
  log: Log;
  events?: SessionEvents;
  now?: () => number;
}

export interface CreateResult {
  session: Session;
  created: boolean;
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

interface PersistedState {
  version: 1;
  owner_pid: number;
  backend: 'process' | 'docker';
  saved_at: string;
  sessions: PersistedSession[];
}

const START_PAGE_TIMEOUT_MS = 30_000;

function newSessionId(): string {
  return randomBytes(12).toString('base64url');
}

export function createSessionManager(opts: SessionManagerOptions) {
  const { config, backend, log } = opts;
  const limits = config.sessions;
  const now = opts.now ?? Date.now;
  const events = opts.events ?? {};
  const sessions = new Map<string, Session>();
  const waiters: Waiter[] = [];
  const clientLocks = new Map<string, Promise<unknown>>();
  const store: StateStore<PersistedState> = createStateStore(join(config.dataDir, 'state.json'), (err) =>
    log.error({ err }, 'cannot write state.json'),
  );
  let closed = false;
  const shutdown = new AbortController();
  let reaper: ScheduledTask | undefined;
  let poolRetry: NodeJS.Timeout | undefined;
  let poolFailures = 0;
  let poolBlockedUntil = 0;
  /** Slots promised to queued creates that were woken but have not registered their session yet. */
  let reserved = 0;
  /** Creates currently making room under the capacity policy. */
  let acquiring = 0;
  const poolTargets: Record<SessionKind, number> = { headless: limits.poolHeadless, vnc: limits.poolVnc };

  // ---- state -------------------------------------------------------------------------------

  function persisted(s: Session): PersistedSession {
    return {
      id: s.id,
      kind: s.kind,
      headless: s.headless,
      vnc: s.vnc,
      width: s.width,
      height: s.height,
      client_id: s.clientId,
      labels: s.labels,
      start_url: s.startUrl,
      ttl_s: s.ttlS,
      idle_s: s.idleS,
      pool: s.pool,
      from_pool: s.fromPool,
      created_at: new Date(s.createdAt).toISOString(),
      last_seen_at: new Date(s.lastSeenAt).toISOString(),
      ttl_deadline: Number.isFinite(s.ttlDeadline) ? new Date(s.ttlDeadline).toISOString() : null,
      backend: backend.name,
      record: s.browser?.record ?? {},
    };
  }

  function save(): Promise<void> {
    return store.save(() => ({
      version: 1,
      owner_pid: process.pid,
      backend: backend.name,
      saved_at: new Date().toISOString(),
      // Starting sessions are recorded too (without a record yet): their processes carry the
      // owner marker, so recovery finds them either way.
      sessions: [...sessions.values()].filter((s) => s.status !== 'closed').map(persisted),
    }));
  }

  // ---- views -------------------------------------------------------------------------------

  function clientSessions(): Session[] {
    return [...sessions.values()].filter((s) => !s.pool && s.status !== 'closed');
  }

  function poolSessions(kind?: SessionKind): Session[] {
    return [...sessions.values()].filter((s) => s.pool && (kind === undefined || s.kind === kind) && (s.status === 'ready' || s.status === 'starting'));
  }

  function poolView(): PoolView {
    const view = (kind: SessionKind) => {
      const p = poolSessions(kind);
      return {
        ready: p.filter((s) => s.status === 'ready').length,
        starting: p.filter((s) => s.status === 'starting').length,
        target: poolTargets[kind],
      };
    };
    return { headless: view('headless'), vnc: view('vnc') };
  }

  function summary(): SessionsSummary {
    const pool = poolView();
    return {
      active: clientSessions().filter((s) => s.status === 'ready' || s.status === 'starting').length,
      capacity: maxSlots(),
      pool: {
        headless: { ready: pool.headless.ready, target: pool.headless.target },
        vnc: { ready: pool.vnc.ready, target: pool.vnc.target },
      },
    };
  }

  function capacityView() {
    const clients = clientSessions();
    return {
      max_sessions: maxSlots(),
      active: clients.filter((s) => s.status === 'ready').length,
      starting: clients.filter((s) => s.status === 'starting').length,
      policy: limits.capacityPolicy,
      queued: waiters.length,
    };
  }

  function expiresAt(s: Session): number {
    if (s.pool) return s.ttlDeadline;
    return Math.min(s.ttlDeadline, s.lastSeenAt + s.idleS * 1000);
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  function slotFreed(): void {
    const w = waiters.shift();
    if (w) {
      clearTimeout(w.timer);
      reserved += 1;
      w.resolve();
    }
  }

  /** The configured maximum, or fewer when the backend runs out of something (docker: host ports). */
  function maxSlots(): number {
    return Math.min(limits.maxSessions, backend.slots?.() ?? Number.POSITIVE_INFINITY);
  }

  function hasFreeSlot(): boolean {
    return sessions.size + reserved < maxSlots();
  }

  async function closeOwner(s: Session): Promise<void> {
    const owner = s.owner;
    s.owner = null;
    if (owner) await owner.browser.close().catch(() => undefined);
  }

  function end(s: Session, reason: EndReason): Promise<void> {
    if (s.ending) return s.ending;
    const wasPool = s.pool;
    s.status = 'closing';
    s.ending = (async () => {
      // A session still launching is ended once the launch settles.
      if (s.launching) await s.launching.catch(() => undefined);
      for (const c of s.connections) c.close(1001, `session ${reason}`);
      s.connections.clear();
      await closeOwner(s);
      await s.browser?.close().catch((err: unknown) => log.warn({ err, sessionId: s.id }, 'closing the browser failed'));
      s.status = 'closed';
      sessions.delete(s.id);
      log.info({ sessionId: s.id, clientId: s.clientId, reason, pool: wasPool }, 'session ended');
      events.ended?.(s, reason);
      await save();
      slotFreed();
      refillPool();
    })();
    return s.ending;
  }

  function newSession(init: {
    kind: SessionKind;
    headless: boolean;
    vnc: boolean;
    width: number;
    height: number;
    clientId: string | null;
    pool: boolean;
  }): Session {
    const t = now();
    const s: Session = {
      id: newSessionId(),
      ...init,
      labels: {},
      startUrl: null,
      ttlS: limits.ttlS,
      idleS: limits.idleS,
      fromPool: false,
      status: 'starting',
      createdAt: t,
      lastSeenAt: t,
      ttlDeadline: init.pool ? Number.POSITIVE_INFINITY : t + limits.ttlS * 1000,
      browser: null,
      owner: null,
      connections: new Set(),
      launching: null,
      ending: null,
    };
    sessions.set(s.id, s);
    return s;
  }

  async function ensureOwner(s: Session): Promise<Page> {
    if (s.owner) return s.owner.page;
    if (!s.browser) throw new Error('session has no browser');
    const chromium = await chromiumType();
    const browser = await chromium.connect(s.browser.wsEndpoint, { timeout: START_PAGE_TIMEOUT_MS });
    // Headful windows take the display's size; headless pages get the session's size.
    const context = await browser.newContext({ viewport: s.headless ? { width: s.width, height: s.height } : null });
    const page = await context.newPage();
    s.owner = { browser, page };
    return page;
  }

  async function openStartPage(s: Session, url: string, wait: StartUrlWait): Promise<void> {
    const page = await ensureOwner(s);
    if (wait === 'none') {
      page.goto(url, { timeout: START_PAGE_TIMEOUT_MS }).catch((err: unknown) => log.warn({ err, sessionId: s.id, url }, 'start page failed'));
      return;
    }
    try {
      await page.goto(url, { waitUntil: wait, timeout: START_PAGE_TIMEOUT_MS });
    } catch (err) {
      throw new AppError('start_url_failed', `start_url ${url} did not reach "${wait}": ${(err as Error).message.split('\n')[0]}`, 502);
    }
  }

  /** Launch the browser for a registered session; the session is ready (or gone) afterwards. */
  function launch(s: Session): Promise<void> {
    const started = now();
    s.launching = (async () => {
      const browser = await backend.launch({
        id: s.id,
        headless: s.headless,
        vnc: s.vnc,
        width: s.width,
        height: s.height,
        clientId: s.clientId,
        pool: s.pool,
        signal: shutdown.signal,
      });
      s.browser = browser;
      void browser.exited.then((why) => {
        if (s.status === 'closing' || s.status === 'closed') return;
        log.warn({ sessionId: s.id, why }, 'session browser went away');
        void end(s, 'crashed');
      });
      // A VNC session shows a browser window from the start, so the live view is never empty.
      if (s.vnc) await ensureOwner(s);
      if (s.status === 'starting') s.status = 'ready';
      log.debug({ sessionId: s.id, kind: s.kind, pool: s.pool, ms: now() - started }, 'session launched');
    })();
    return s.launching.finally(() => {
      s.launching = null;
    });
  }

  // ---- capacity ----------------------------------------------------------------------------

  /**
   * Make room for one more session under the policy and register it (synchronously, in the same
   * tick the slot is seen free, so nothing else can take it). While any create is making room the
   * pool does not refill, or evicting a pool session would only make room for its replacement.
   */
  async function acquireSlot(policy: CapacityPolicy, register: () => Session): Promise<Session> {
    acquiring += 1;
    try {
      return await makeRoom(policy, register);
    } finally {
      acquiring -= 1;
    }
  }

  async function makeRoom(policy: CapacityPolicy, register: () => Session): Promise<Session> {
    for (;;) {
      if (closed) throw new AppError('shutting_down', 'the appliance is shutting down', 503);
      if (hasFreeSlot()) return register();
      // Warm-pool sessions are a cache: they give way first (ready ones before starting ones).
      const spare = poolSessions().sort((a, b) => (a.status === 'ready' ? 0 : 1) - (b.status === 'ready' ? 0 : 1))[0];
      if (spare) {
        await end(spare, 'evicted');
        continue;
      }
      if (policy === 'reject') {
        throw new CapacityExceededError(
          `all ${maxSlots()} session slots are in use (OUTPOST_CAPACITY_POLICY=reject); end a session or retry later`,
          5,
        );
      }
      if (policy === 'recycle') {
        const lru = clientSessions()
          .filter((x) => x.status === 'ready')
          .sort((a, b) => a.lastSeenAt - b.lastSeenAt)[0];
        if (!lru) throw new NoCapacityError(`all ${maxSlots()} session slots are busy starting; nothing can be recycled`);
        log.info({ sessionId: lru.id, clientId: lru.clientId }, 'recycling the least recently used session');
        await end(lru, 'recycled');
        continue;
      }
      if (waiters.length >= limits.queueLength) {
        throw new CapacityExceededError(`all ${maxSlots()} session slots are in use and the queue is full (${limits.queueLength} waiting)`, 5);
      }
      await new Promise<void>((resolve, reject) => {
        const waiter: Waiter = {
          resolve,
          reject,
          timer: setTimeout(() => {
            const i = waiters.indexOf(waiter);
            if (i !== -1) waiters.splice(i, 1);
            reject(new QueueTimeoutError(limits.queueTimeoutS));
          }, limits.queueTimeoutS * 1000),
        };
        waiters.push(waiter);
      });
      reserved -= 1;
    }
  }

  // ---- pool --------------------------------------------------------------------------------

  function launchPool(kind: SessionKind): void {
    const s = newSession({
      kind,
      headless: kind === 'headless',
      vnc: kind === 'vnc',
      width: limits.defaultWidth,
      height: limits.defaultHeight,
      clientId: null,
      pool: true,
    });
    void save();
    launch(s).then(
      () => {
        poolFailures = 0;
        void save();
      },
      (err: unknown) => {
        poolFailures += 1;
        const backoffMs = Math.min(60_000, 1000 * 2 ** Math.min(poolFailures - 1, 6));
        poolBlockedUntil = now() + backoffMs;
        log.error({ err, kind, backoffMs }, 'warm pool launch failed');
        events.poolLaunchFailed?.(kind, err);
        void end(s, 'crashed');
        if (!closed) {
          clearTimeout(poolRetry);
          poolRetry = setTimeout(refillPool, backoffMs);
          poolRetry.unref();
        }
      },
    );
  }

  function refillPool(): void {
    if (closed) return;
    // More warm sessions than the target (a lowered target, or containers adopted at start): trim.
    for (const kind of ['headless', 'vnc'] as const) {
      const extra = poolSessions(kind).filter((s) => s.status === 'ready').slice(poolTargets[kind]);
      for (const s of extra) void end(s, 'evicted');
    }
    if (waiters.length > 0 || acquiring > 0 || now() < poolBlockedUntil) return;
    for (const kind of ['headless', 'vnc'] as const) {
      while (poolSessions(kind).length < poolTargets[kind] && hasFreeSlot()) launchPool(kind);
    }
  }

  function claimPool(kind: SessionKind, width: number, height: number): Session | null {
    if (width !== limits.defaultWidth || height !== limits.defaultHeight) return null;
    const ready = poolSessions(kind).filter((s) => s.status === 'ready');
    return ready[0] ?? null;
  }

  // ---- create ------------------------------------------------------------------------------

  function withClientLock<T>(clientId: string, fn: () => Promise<T>): Promise<T> {
    const prev = clientLocks.get(clientId) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(fn);
    const tail = run.catch(() => undefined);
    clientLocks.set(clientId, tail);
    void tail.then(() => {
      if (clientLocks.get(clientId) === tail) clientLocks.delete(clientId);
    });
    return run;
  }

  function applyRequest(s: Session, req: CreateSessionBody): void {
    const t = now();
    s.clientId = req.client_id ?? null;
    s.labels = req.labels ?? {};
    s.startUrl = req.start_url ?? null;
    s.ttlS = req.ttl_s ?? limits.ttlS;
    s.idleS = req.idle_s ?? limits.idleS;
    s.createdAt = t;
    s.lastSeenAt = t;
    s.ttlDeadline = t + s.ttlS * 1000;
  }

  async function createNew(req: CreateSessionBody, kind: SessionKind, headless: boolean, width: number, height: number, policy: CapacityPolicy): Promise<CreateResult> {
    const wait = req.start_url_wait ?? 'load';
    const claimed = claimPool(kind, width, height);
    if (claimed) {
      claimed.pool = false;
      claimed.fromPool = true;
      applyRequest(claimed, req);
      refillPool();
      try {
        if (req.start_url) await openStartPage(claimed, req.start_url, wait);
      } catch (err) {
        await end(claimed, 'start_url_failed');
        throw err;
      }
      await save();
      log.info({ sessionId: claimed.id, clientId: claimed.clientId, kind }, 'session claimed from the warm pool');
      events.created?.(claimed, 'pool', null);
      return { session: claimed, created: true };
    }
    const s = await acquireSlot(policy, () => {
      const fresh = newSession({ kind, headless, vnc: kind === 'vnc', width, height, clientId: req.client_id ?? null, pool: false });
      applyRequest(fresh, req);
      return fresh;
    });
    const t0 = now();
    void save();
    try {
      await launch(s);
    } catch (err) {
      await end(s, 'crashed');
      if (err instanceof AppError) throw err;
      throw new LaunchFailedError(`the browser did not start: ${(err as Error).message.split('\n')[0]}`);
    }
    if (s.status !== 'ready') throw new AppError('session_ended', 'the session ended while it was starting', 409);
    try {
      if (req.start_url) await openStartPage(s, req.start_url, wait);
    } catch (err) {
      await end(s, 'start_url_failed');
      throw err;
    }
    await save();
    const launchMs = now() - t0;
    log.info({ sessionId: s.id, clientId: s.clientId, kind, launchMs }, 'session started');
    events.created?.(s, 'cold', launchMs);
    refillPool();
    return { session: s, created: true };
  }

  async function create(req: CreateSessionBody, opts: { policy?: CapacityPolicy } = {}): Promise<CreateResult> {
    if (closed) throw new AppError('shutting_down', 'the appliance is shutting down', 503);
    const vnc = req.vnc ?? false;
    if (vnc && req.headless === true) {
      throw new AppError('bad_request', 'a VNC session shows a real window: "headless": true and "vnc": true cannot be combined', 400);
    }
    const headless = vnc ? false : (req.headless ?? true);
    const kind: SessionKind = vnc ? 'vnc' : 'headless';
    const width = req.width ?? limits.defaultWidth;
    const height = req.height ?? limits.defaultHeight;
    const policy = opts.policy ?? limits.capacityPolicy;
    if (!req.client_id) return createNew(req, kind, headless, width, height, policy);
    const clientId = req.client_id;
    return withClientLock(clientId, async () => {
      const existing = clientSessions().find((s) => s.clientId === clientId && (s.status === 'ready' || s.status === 'starting'));
      if (existing) {
        if (existing.launching) await existing.launching.catch(() => undefined);
        const same = existing.kind === kind && existing.headless === headless && existing.width === width && existing.height === height;
        if (same && existing.status === 'ready') {
          existing.lastSeenAt = now();
          if (req.labels) existing.labels = req.labels;
          void save();
          events.created?.(existing, 'reused', null);
          return { session: existing, created: false };
        }
        log.info({ sessionId: existing.id, clientId, width, height }, 'replacing the client session (size or kind changed)');
        await end(existing, 'replaced');
      }
      return createNew(req, kind, headless, width, height, policy);
    });
  }

  // ---- reaping -----------------------------------------------------------------------------

  function reap(): void {
    const t = now();
    for (const s of sessions.values()) {
      if (s.status !== 'ready' || s.pool) continue;
      // A connected client or an open live view is activity.
      if (s.connections.size > 0) s.lastSeenAt = t;
      if (t >= s.ttlDeadline) void end(s, 'ttl');
      else if (t >= s.lastSeenAt + s.idleS * 1000) void end(s, 'idle');
    }
  }

  // ---- public ------------------------------------------------------------------------------

  return {
    limits,
    maxSlots,
    async start(): Promise<void> {
      const began = now();
      const state = await store.load();
      const records = state?.sessions ?? [];
      const recovered = await backend.recover(records.filter((r) => r.backend === backend.name));
      if (records.length > 0 || recovered.length > 0) {
        log.info({ records: records.length, recovered: recovered.length, ms: now() - began }, 'recovered sessions from state.json');
      }
      for (const { persisted: p, browser } of recovered) {
        const s: Session = {
          id: p.id,
          kind: p.kind,
          headless: p.headless,
          vnc: p.vnc,
          width: p.width,
          height: p.height,
          clientId: p.client_id,
          labels: p.labels,
          startUrl: p.start_url,
          // Containers adopted without a record get the default lifetimes from their creation.
          ttlS: p.ttl_s || limits.ttlS,
          idleS: p.idle_s || limits.idleS,
          pool: p.pool,
          fromPool: p.from_pool,
          status: 'ready',
          createdAt: Date.parse(p.created_at),
          lastSeenAt: Date.parse(p.last_seen_at),
          ttlDeadline: p.pool
            ? Number.POSITIVE_INFINITY
            : p.ttl_deadline
              ? Date.parse(p.ttl_deadline)
              : Date.parse(p.created_at) + (p.ttl_s || limits.ttlS) * 1000,
          browser,
          owner: null,
          connections: new Set(),
          launching: null,
          ending: null,
        };
        sessions.set(s.id, s);
        void browser.exited.then(() => {
          if (s.status === 'ready') void end(s, 'crashed');
        });
      }
      await save();
      // The idle/TTL sweep (the orchestrator's cleanup scheduler); pool sessions are skipped in reap().
      reaper = cron.schedule(config.sessions.cleanupSchedule, reap, { name: `outpost-reaper-${process.pid}-${Math.random()}`, noOverlap: true });
      reaper.unref();
      refillPool();
    },
    create,
    get(id: string): Session {
      const s = sessions.get(id);
      if (!s || s.status === 'closed') throw new SessionNotFoundError(id);
      return s;
    },
    /** Client sessions (the pool is internal), newest first. */
    list(): Session[] {
      return clientSessions().sort((a, b) => b.createdAt - a.createdAt);
    },
    /** Everything, pool included, for the compatibility /status route. */
    all(): Session[] {
      return [...sessions.values()].filter((s) => s.status !== 'closed');
    },
    findByClient(clientId: string): Session | undefined {
      return clientSessions().find((s) => s.clientId === clientId && s.status !== 'closing');
    },
    touch(id: string, body: TouchSessionBody): Session {
      const s = sessions.get(id);
      if (!s || s.status === 'closed' || s.status === 'closing' || s.pool) throw new SessionNotFoundError(id);
      const t = now();
      if (body?.idle_s !== undefined) s.idleS = body.idle_s;
      if (body?.ttl_s !== undefined) s.ttlS = body.ttl_s;
      s.lastSeenAt = t;
      // Touch extends the lifetime to a full TTL from now, never beyond the hard ceiling.
      s.ttlDeadline = Math.min(Math.max(s.ttlDeadline, t + s.ttlS * 1000), s.createdAt + limits.maxTtlS * 1000);
      void save();
      return s;
    },
    async remove(id: string, reason: EndReason = 'deleted'): Promise<Session> {
      const s = sessions.get(id);
      if (!s || s.status === 'closed' || s.pool) throw new SessionNotFoundError(id);
      await end(s, reason);
      return s;
    },
    async removeAll(reason: EndReason = 'removed'): Promise<number> {
      const all = [...sessions.values()].filter((s) => s.status !== 'closed');
      await Promise.all(all.map((s) => end(s, reason)));
      return all.length;
    },
    /** Traffic through the proxies counts as use. Cheap: called per message. */
    noteActivity(s: Session): void {
      s.lastSeenAt = now();
    },
    attach(s: Session, conn: { close: (code: number, reason: string) => void }): () => void {
      s.connections.add(conn);
      s.lastSeenAt = now();
      return () => {
        s.connections.delete(conn);
        s.lastSeenAt = now();
      };
    },
    expiresAt,
    summary,
    poolView,
    capacityView,
    memoryBytes: (s: Session) => s.browser?.memoryBytes() ?? Promise.resolve(0),
    reapNow: reap,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      shutdown.abort();
      await reaper?.destroy();
      clearTimeout(poolRetry);
      for (const w of waiters.splice(0)) {
        clearTimeout(w.timer);
        w.reject(new AppError('shutting_down', 'the appliance is shutting down', 503));
      }
      await Promise.all([...sessions.values()].map((s) => end(s, 'shutdown')));
      await backend.close();
      await save();
      await store.flush();
    },
  };
}

export type SessionManager = ReturnType<typeof createSessionManager>;
