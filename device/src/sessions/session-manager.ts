// Sessions, the warm pool and their lifetimes (DESIGN.md, "Sessions", "Warm pool", "State and
// recovery"). This module decides when; its parts do the rest: the backend starts and stops
// browsers, capacity.ts hands out slots, warm-pool.ts keeps sessions warm, session-records.ts
// builds records and state.json, start-page.ts drives Playwright, keyed-lock.ts orders a client.
//
// Invariants (held by the tests named):
// - a create that matches a pool kind at the default size claims a ready pool session without
//   launching anything ('claims a warm session without launching a browser');
// - live sessions (client + pool, starting included) never exceed max_sessions; pool sessions are
//   the first to give way ('capacity policies', session-manager.test.ts);
// - every session that ends has its backend resources closed, and state.json is rewritten
//   ('leak test', 'kill -9 recovery').
import cron, { type ScheduledTask } from 'node-cron';
import type { CapacityPolicy, DeviceConfig } from '../config.js';
import type { SessionsSummary } from '../shared/contract.js';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, BadRequestError, LaunchFailedError, ProfileInUseError, SessionEndedError, SessionNotFoundError, ShuttingDownError } from '../shared/errors.js';
import type { Log } from '../shared/log.js';
import type { SessionBackend, SessionKind, SessionProtocol } from './backends/session-backend.js';
import { createCapacity, type Wait } from './capacity.js';
import { createKeyedLock } from './keyed-lock.js';
import { createSessionRecords, expiresAt, type EndReason, type Session, type SessionInit } from './session-records.js';
import type { CreateSessionBody, TouchSessionBody } from '../shared/session-schemas.js';
import { createStartPage, type StartPage } from './start-page.js';
import { sameSettings, settingsOf } from './session-settings.js';
import { checkRecordable, recordSession, type RecordingSettings } from './session-recording.js';
import { createWarmPool } from './warm-pool.js';

export type { EndReason, Session } from './session-records.js';

export interface SessionEvents {
  created?(s: Session, source: 'pool' | 'cold' | 'reused', launchMs: number | null): void;
  ended?(s: Session, reason: EndReason): void;
  poolLaunchFailed?(kind: SessionKind, err: unknown): void;
  /** A create had to wait (for a slot, or for the host to come under its limits). */
  queued?(protocol: SessionProtocol): void;
  /** A create was turned away (429/503: capacity, pressure, drain, shutdown); `code` says why. */
  refused?(protocol: SessionProtocol, code: string): void;
  /** A create waited in the queue for OUTPOST_QUEUE_TIMEOUT_S and gave up. */
  queueTimedOut?(protocol: SessionProtocol): void;
  /** The session's recording stopped on its own (the session goes on). */
  recordingFailed?(s: Session, error: string): void;
}

export interface SessionManagerOptions {
  config: DeviceConfig;
  backend: SessionBackend;
  log: Log;
  events?: SessionEvents;
  now?: () => number;
  /** By default Playwright's (start-page.ts); tests without a browser pass their own. */
  startPage?: StartPage;
  /** Asked before a new session starts (not when a client gets its live one back); throws to refuse. */
  admit?: () => void;
  /** While true the warm pool is not refilled (draining). */
  poolPaused?: () => boolean;
  /** Why the host takes no new session now (pressure.ts), or null. */
  pressure?: () => string | null;
  pressureRetryAfterS?: number;
  /** Where and how `record: true` records (session-recording.ts); without it such a create is refused. */
  recording?: RecordingSettings;
  /** Awaited before a client gets a new session (its watchers attach first). */
  prepare?: (s: Session) => Promise<void>;
}

export interface CreateOptions {
  policy?: CapacityPolicy;
  /** How the client asked (for the counters); 'api' by default. */
  protocol?: SessionProtocol;
}

export interface CreateResult {
  session: Session;
  created: boolean;
}

export function createSessionManager(opts: SessionManagerOptions) {
  const { config, backend, log } = opts;
  const limits = config.sessions;
  const now = opts.now ?? Date.now;
  const events = opts.events ?? {};
  const startPage = opts.startPage ?? createStartPage(log);
  const records = createSessionRecords({ dataDir: config.dataDir, backend: backend.name, limits, log, now });
  const save = () => records.save();
  const clientLock = createKeyedLock();
  const profileLock = createKeyedLock();
  const profileDirOf = (name: string) => join(config.dataDir, 'profiles', name);
  let closed = false;
  const shutdown = new AbortController();
  let reaper: ScheduledTask | undefined;

  /** The configured maximum, or fewer when the backend runs out of something (docker: host ports). */
  const maxSlots = (): number => Math.min(limits.maxSessions, backend.slots?.() ?? Number.POSITIVE_INFINITY);

  const capacity = createCapacity({
    limit: maxSlots,
    used: () => records.size,
    queueLength: limits.queueLength,
    queueTimeoutS: limits.queueTimeoutS,
    pressure: opts.pressure,
    pressureRetryAfterS: opts.pressureRetryAfterS,
    async evictSpare() {
      // Ready pool sessions give way before starting ones.
      const spare = records.pool().sort((a, b) => (a.status === 'ready' ? 0 : 1) - (b.status === 'ready' ? 0 : 1))[0];
      if (!spare) return false;
      await end(spare, 'evicted');
      return true;
    },
    async recycleLeastRecentlyUsed() {
      const lru = records
        .clients()
        .filter((x) => x.status === 'ready')
        .sort((a, b) => a.lastSeenAt - b.lastSeenAt)[0];
      if (!lru) return false;
      log.info({ sessionId: lru.id, clientId: lru.clientId }, 'recycling the least recently used session');
      await end(lru, 'recycled');
      return true;
    },
  });

  const pool = createWarmPool({
    targets: { headless: limits.poolHeadless, vnc: limits.poolVnc },
    width: limits.defaultWidth,
    height: limits.defaultHeight,
    log,
    now,
    sessions: (kind) => records.pool(kind),
    hasFreeSlot: capacity.hasFreeSlot,
    paused: () => capacity.contended || (opts.poolPaused?.() ?? false) || (opts.pressure?.() ?? null) !== null,
    launch(kind) {
      const session = records.add({ kind, headless: kind === 'headless', vnc: kind === 'vnc', width: limits.defaultWidth, height: limits.defaultHeight, clientId: null, pool: true, profile: null, identity: null });
      void save();
      return { session, launched: launch(session) };
    },
    end,
    onLaunched: () => void save(),
    onLaunchFailed: (kind, err) => events.poolLaunchFailed?.(kind, err),
  });

  function end(s: Session, reason: EndReason): Promise<void> {
    if (s.ending) return s.ending;
    const wasPool = s.pool;
    s.status = 'closing';
    s.ending = (async () => {
      // A session still launching is ended once the launch settles.
      if (s.launching) await s.launching.catch(() => undefined);
      for (const c of s.connections) c.close(1001, `session ${reason}`);
      s.connections.clear();
      await startPage.close(s);
      await s.browser?.close().catch((err: unknown) => log.warn({ err, sessionId: s.id }, 'closing the browser failed'));
      s.status = 'closed';
      records.delete(s.id);
      log.info({ sessionId: s.id, clientId: s.clientId, reason, pool: wasPool }, 'session ended');
      events.ended?.(s, reason);
      await save();
      capacity.release();
      pool.refill();
    })();
    return s.ending;
  }

  /** Launch the browser for a registered session; the session is ready (or gone) afterwards. */
  function launch(s: Session): Promise<void> {
    const started = now();
    s.launching = (async () => {
      const profileDir = s.profile === null ? null : profileDirOf(s.profile);
      if (profileDir) await mkdir(profileDir, { recursive: true, mode: 0o700 });
      const browser = await backend.launch({ id: s.id, headless: s.headless, vnc: s.vnc, width: s.width, height: s.height, clientId: s.clientId, pool: s.pool, profileDir, identity: s.identity, signal: shutdown.signal });
      s.browser = browser;
      void browser.exited.then((why) => {
        if (s.status === 'closing' || s.status === 'closed') return;
        log.warn({ sessionId: s.id, why }, 'session browser went away');
        void end(s, 'crashed');
      });
      // A VNC session shows a browser window from the start, so the live view is never empty.
      if (s.vnc) await startPage.open(s);
      if (s.status === 'starting') s.status = 'ready';
      log.debug({ sessionId: s.id, kind: s.kind, pool: s.pool, ms: now() - started }, 'session launched');
    })();
    return s.launching.finally(() => {
      s.launching = null;
    });
  }

  /**
   * A client's session begins: its watchers attach, its recording starts, then start_url opens (so
   * the logs and the recording have it). A session whose start page fails is ended.
   */
  async function begin(s: Session, req: CreateSessionBody): Promise<void> {
    try {
      await opts.prepare?.(s);
      if (req.record && opts.recording) await recordSession(s, opts.recording, (error) => events.recordingFailed?.(s, error));
      if (req.start_url) await startPage.goto(s, req.start_url, req.start_url_wait ?? 'load');
    } catch (err) {
      await end(s, 'start_url_failed');
      throw err;
    }
  }

  /** One live session per profile: creates of a profile take turns, and find the one that lives. */
  function createNew(req: CreateSessionBody, init: SessionInit, policy: CapacityPolicy, protocol: SessionProtocol): Promise<CreateResult> {
    const profile = init.profile;
    if (profile === null) return createUnlocked(req, init, policy, protocol);
    return profileLock.run(profile, async () => {
      const holder = records.clients().find((s) => s.profile === profile && s.status !== 'closed');
      // One still closing gives the directory back in a moment; a live one keeps it.
      if (holder?.status === 'closing') await holder.ending;
      else if (holder) throw new ProfileInUseError(profile, holder.id);
      return createUnlocked(req, init, policy, protocol);
    });
  }

  async function createUnlocked(req: CreateSessionBody, init: SessionInit, policy: CapacityPolicy, protocol: SessionProtocol): Promise<CreateResult> {
    opts.admit?.();
    const wait: Wait = { deadline: null, onQueued: () => events.queued?.(protocol) };
    await capacity.admit(policy, wait);
    // Pool browsers run plain (session-settings.ts): a session with a profile or identity settings
    // starts cold, and so does a headful one without VNC (the pool has headless and VNC browsers only).
    const poolable = init.profile === null && init.identity === null && (init.vnc || init.headless);
    const claimed = poolable ? pool.claim(init.kind, init.width, init.height) : null;
    if (claimed) {
      claimed.pool = false;
      claimed.fromPool = true;
      records.applyRequest(claimed, req, protocol);
      pool.refill();
      await begin(claimed, req);
      await save();
      log.info({ sessionId: claimed.id, clientId: claimed.clientId, kind: init.kind }, 'session claimed from the warm pool');
      events.created?.(claimed, 'pool', null);
      return { session: claimed, created: true };
    }
    const s = await capacity.acquire(policy, () => records.applyRequest(records.add(init), req, protocol), wait);
    const t0 = now();
    void save();
    try {
      await launch(s);
    } catch (err) {
      await end(s, 'crashed');
      if (err instanceof AppError) throw err;
      throw new LaunchFailedError(`the browser did not start: ${(err as Error).message.split('\n')[0]}`);
    }
    if (s.status !== 'ready') throw new SessionEndedError();
    await begin(s, req);
    await save();
    const launchMs = now() - t0;
    log.info({ sessionId: s.id, clientId: s.clientId, kind: init.kind, launchMs }, 'session started');
    events.created?.(s, 'cold', launchMs);
    pool.refill();
    return { session: s, created: true };
  }

  async function create(req: CreateSessionBody, opts: CreateOptions = {}): Promise<CreateResult> {
    const protocol = opts.protocol ?? 'api';
    try {
      return await createFor(req, opts.policy ?? limits.capacityPolicy, protocol);
    } catch (err) {
      if (err instanceof AppError && err.code === 'queue_timeout') events.queueTimedOut?.(protocol);
      else if (err instanceof AppError && (err.statusCode === 429 || err.statusCode === 503)) events.refused?.(protocol, err.code);
      throw err;
    }
  }

  async function createFor(req: CreateSessionBody, policy: CapacityPolicy, protocol: SessionProtocol): Promise<CreateResult> {
    if (closed) throw new ShuttingDownError();
    const vnc = req.vnc ?? false;
    if (vnc && req.headless === true) {
      throw new BadRequestError('a VNC session shows a real window: "headless": true and "vnc": true cannot be combined');
    }
    const headless = vnc ? false : (req.headless ?? true);
    const kind: SessionKind = vnc ? 'vnc' : 'headless';
    const width = req.width ?? limits.defaultWidth;
    const height = req.height ?? limits.defaultHeight;
    const settings = settingsOf(req, backend, { headless, extensionsDir: join(config.dataDir, 'extensions') });
    checkRecordable(req, headless, backend, opts.recording);
    const init: SessionInit = { kind, headless, vnc, width, height, clientId: req.client_id ?? null, pool: false, ...settings };
    if (!req.client_id) return createNew(req, init, policy, protocol);
    const clientId = req.client_id;
    return clientLock.run(clientId, async () => {
      const existing = records.clients().find((s) => s.clientId === clientId && (s.status === 'ready' || s.status === 'starting'));
      if (existing) {
        if (existing.launching) await existing.launching.catch(() => undefined);
        const same = existing.kind === kind && existing.headless === headless && existing.width === width && existing.height === height && sameSettings(existing, settings);
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
      return createNew(req, init, policy, protocol);
    });
  }

  function reap(): void {
    const t = now();
    for (const s of records.live()) {
      if (s.status !== 'ready' || s.pool) continue;
      // A connected client or an open live view is activity.
      if (s.connections.size > 0) s.lastSeenAt = t;
      if (t >= s.ttlDeadline) void end(s, 'ttl');
      else if (t >= s.lastSeenAt + s.idleS * 1000) void end(s, 'idle');
    }
  }

  return {
    limits,
    maxSlots,
    async start(): Promise<void> {
      const began = now();
      const persisted = await records.load();
      const recovered = await backend.recover(persisted.filter((r) => r.backend === backend.name));
      if (persisted.length > 0 || recovered.length > 0) {
        log.info({ records: persisted.length, recovered: recovered.length, ms: now() - began }, 'recovered sessions from state.json');
      }
      for (const { persisted: p, browser } of recovered) {
        const s = records.adopt(p, browser);
        void browser.exited.then(() => {
          if (s.status === 'ready') void end(s, 'crashed');
        });
      }
      await save();
      // The idle/TTL sweep (the orchestrator's cleanup scheduler); pool sessions are skipped in reap().
      reaper = cron.schedule(config.sessions.cleanupSchedule, reap, { name: `outpost-reaper-${process.pid}-${Math.random()}`, noOverlap: true });
      reaper.unref();
      pool.refill();
    },
    create,
    get(id: string): Session {
      const s = records.get(id);
      if (!s || s.status === 'closed') throw new SessionNotFoundError(id);
      return s;
    },
    /** Client sessions (the pool is internal), newest first. */
    list: (): Session[] => records.clients().sort((a, b) => b.createdAt - a.createdAt),
    /** Everything, pool included, for the compatibility /status route. */
    all: (): Session[] => records.live(),
    findByClient: (clientId: string): Session | undefined => records.clients().find((s) => s.clientId === clientId && s.status !== 'closing'),
    touch(id: string, body: TouchSessionBody): Session {
      const s = records.get(id);
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
      const s = records.get(id);
      if (!s || s.status === 'closed' || s.pool) throw new SessionNotFoundError(id);
      await end(s, reason);
      return s;
    },
    async removeAll(reason: EndReason = 'removed', which: 'all' | 'pool' | 'clients' = 'all'): Promise<number> {
      const ending = which === 'all' ? records.live() : which === 'pool' ? records.pool() : records.clients();
      await Promise.all(ending.map((s) => end(s, reason)));
      return ending.length;
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
    summary(): SessionsSummary {
      const { headless, vnc } = pool.view();
      const active = records.clients().filter((s) => s.status === 'ready' || s.status === 'starting').length;
      return { active, capacity: maxSlots(), pool: { headless: { ready: headless.ready, target: headless.target }, vnc: { ready: vnc.ready, target: vnc.target } } };
    },
    poolView: () => pool.view(),
    /** Bring the warm pool back to its targets (after a drain ends). */
    refillPool: () => pool.refill(),
    /** The host came back under its admission limits: waiting creates go on, the pool refills. */
    relieved(): void {
      capacity.relieved();
      pool.refill();
    },
    capacityView() {
      const clients = records.clients();
      const count = (status: Session['status']) => clients.filter((s) => s.status === status).length;
      return { max_sessions: maxSlots(), active: count('ready'), starting: count('starting'), policy: limits.capacityPolicy, queued: capacity.queued };
    },
    reapNow: reap,
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      shutdown.abort();
      pool.close();
      capacity.close();
      await reaper?.destroy();
      await Promise.all(records.live().map((s) => end(s, 'shutdown')));
      await backend.close();
      await save();
      await records.flush();
    },
  };
}

export type SessionManager = ReturnType<typeof createSessionManager>;
