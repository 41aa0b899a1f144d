// The session records (DESIGN.md, "Sessions", "State and recovery"): what the appliance knows of
// each session, built in one place, and state.json written from them and read back at start.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Log } from '../shared/log.js';
import type { LaunchedBrowser, PersistedSession, SessionIdentity, SessionKind, SessionProtocol } from './backends/session-backend.js';
import type { CreateSessionBody, SessionStatus } from '../shared/session-schemas.js';
import type { Recording } from './backends/screen-recorder.js';
import { createStateStore, type StateStore } from './state-store.js';

export type EndReason = 'deleted' | 'ttl' | 'idle' | 'recycled' | 'replaced' | 'crashed' | 'evicted' | 'shutdown' | 'start_url_failed' | 'removed' | 'drained' | 'disconnected';

export interface Session {
  id: string;
  kind: SessionKind;
  headless: boolean;
  vnc: boolean;
  width: number;
  height: number;
  clientId: string | null;
  /** The persistent profile the browser runs on, or null. */
  profile: string | null;
  /** Its own egress and identity (not kept in state.json: a proxy may carry credentials). */
  identity: SessionIdentity | null;
  labels: Record<string, string>;
  startUrl: string | null;
  ttlS: number;
  idleS: number;
  /** An unassigned warm-pool session. */
  pool: boolean;
  fromPool: boolean;
  protocol: SessionProtocol;
  status: SessionStatus;
  createdAt: number;
  lastSeenAt: number;
  ttlDeadline: number;
  browser: LaunchedBrowser | null;
  connections: Set<{ close: (code: number, reason: string) => void }>;
  launching: Promise<void> | null;
  ending: Promise<void> | null;
  /** The screen recording of a session created with `record: true`. */
  recording: Recording | null;
}

/** What a new session is asked to be; everything else starts from the configured defaults. */
export type SessionInit = Pick<Session, 'kind' | 'headless' | 'vnc' | 'width' | 'height' | 'clientId' | 'pool' | 'profile' | 'identity'>;

interface PersistedState {
  version: 1;
  owner_pid: number;
  backend: 'process' | 'docker';
  saved_at: string;
  sessions: PersistedSession[];
}

export interface SessionRecordsOptions {
  dataDir: string;
  backend: 'process' | 'docker';
  /** Default lifetimes, in seconds. */
  limits: { ttlS: number; idleS: number };
  log: Log;
  now: () => number;
}

/** The one constructor of a Session: the recorded fields, plus the runtime ones nothing is known of yet. */
function sessionRecord(fields: Omit<Session, 'connections' | 'launching' | 'ending' | 'recording'>): Session {
  return { ...fields, connections: new Set(), launching: null, ending: null, recording: null };
}

function toPersisted(s: Session, backend: 'process' | 'docker'): PersistedSession {
  return {
    id: s.id,
    kind: s.kind,
    headless: s.headless,
    vnc: s.vnc,
    width: s.width,
    height: s.height,
    client_id: s.clientId,
    profile: s.profile,
    labels: s.labels,
    start_url: s.startUrl,
    ttl_s: s.ttlS,
    idle_s: s.idleS,
    pool: s.pool,
    from_pool: s.fromPool,
    protocol: s.protocol,
    created_at: new Date(s.createdAt).toISOString(),
    last_seen_at: new Date(s.lastSeenAt).toISOString(),
    ttl_deadline: Number.isFinite(s.ttlDeadline) ? new Date(s.ttlDeadline).toISOString() : null,
    backend,
    record: s.browser?.record ?? {},
  };
}

/** When the session ends by itself: its TTL, or for client sessions its idle timeout if sooner. */
export function expiresAt(s: Session): number {
  if (s.pool) return s.ttlDeadline;
  return Math.min(s.ttlDeadline, s.lastSeenAt + s.idleS * 1000);
}

export function createSessionRecords(opts: SessionRecordsOptions) {
  const { limits, now } = opts;
  const sessions = new Map<string, Session>();
  const store: StateStore<PersistedState> = createStateStore(join(opts.dataDir, 'state.json'), (err) =>
    opts.log.error({ err }, 'cannot write state.json'),
  );

  function register(s: Session): Session {
    sessions.set(s.id, s);
    return s;
  }

  return {
    /** A new session, starting, registered (it takes a slot from now on). */
    add(init: SessionInit): Session {
      const t = now();
      return register(
        sessionRecord({
          id: randomBytes(12).toString('base64url'),
          ...init,
          labels: {},
          startUrl: null,
          ttlS: limits.ttlS,
          idleS: limits.idleS,
          fromPool: false,
          protocol: 'api',
          status: 'starting',
          createdAt: t,
          lastSeenAt: t,
          ttlDeadline: init.pool ? Number.POSITIVE_INFINITY : t + limits.ttlS * 1000,
          browser: null,
        }),
      );
    },
    /** A session a previous run recorded and the backend could adopt, ready and registered. */
    adopt(p: PersistedSession, browser: LaunchedBrowser): Session {
      // Containers adopted without a record get the default lifetimes from their creation.
      const ttlS = p.ttl_s || limits.ttlS;
      const createdAt = Date.parse(p.created_at);
      return register(
        sessionRecord({
          id: p.id,
          kind: p.kind,
          headless: p.headless,
          vnc: p.vnc,
          width: p.width,
          height: p.height,
          clientId: p.client_id,
          profile: p.profile ?? null,
          identity: null,
          labels: p.labels,
          startUrl: p.start_url,
          ttlS,
          idleS: p.idle_s || limits.idleS,
          pool: p.pool,
          fromPool: p.from_pool,
          protocol: p.protocol ?? 'api',
          status: 'ready',
          createdAt,
          lastSeenAt: Date.parse(p.last_seen_at),
          ttlDeadline: p.pool ? Number.POSITIVE_INFINITY : p.ttl_deadline ? Date.parse(p.ttl_deadline) : createdAt + ttlS * 1000,
          browser,
        }),
      );
    },
    /** A client's request on a session (a new one, or a claimed pool session): its lifetimes start now. */
    applyRequest(s: Session, req: CreateSessionBody, protocol: SessionProtocol): Session {
      const t = now();
      s.protocol = protocol;
      s.clientId = req.client_id ?? null;
      s.labels = req.labels ?? {};
      s.startUrl = req.start_url ?? null;
      s.ttlS = req.ttl_s ?? limits.ttlS;
      s.idleS = req.idle_s ?? limits.idleS;
      s.createdAt = t;
      s.lastSeenAt = t;
      s.ttlDeadline = t + s.ttlS * 1000;
      return s;
    },
    get: (id: string) => sessions.get(id),
    delete: (id: string) => sessions.delete(id),
    /** Registered sessions, closing ones included: each holds a slot until it is gone. */
    get size() {
      return sessions.size;
    },
    /** Everything not closed, pool included. */
    live(): Session[] {
      return [...sessions.values()].filter((s) => s.status !== 'closed');
    },
    clients(): Session[] {
      return [...sessions.values()].filter((s) => !s.pool && s.status !== 'closed');
    },
    /** Unassigned pool sessions, ready or starting. */
    pool(kind?: SessionKind): Session[] {
      return [...sessions.values()].filter((s) => s.pool && (kind === undefined || s.kind === kind) && (s.status === 'ready' || s.status === 'starting'));
    },
    save(): Promise<void> {
      return store.save(() => ({
        version: 1,
        owner_pid: process.pid,
        backend: opts.backend,
        saved_at: new Date().toISOString(),
        // Starting sessions are recorded too (without a record yet): their processes carry the
        // owner marker, so recovery finds them either way.
        sessions: [...sessions.values()].filter((s) => s.status !== 'closed').map((s) => toPersisted(s, opts.backend)),
      }));
    },
    /** What the previous run recorded (nothing when state.json is missing or unreadable). */
    async load(): Promise<PersistedSession[]> {
      return (await store.load())?.sessions ?? [];
    },
    flush: () => store.flush(),
  };
}

export type SessionRecords = ReturnType<typeof createSessionRecords>;
