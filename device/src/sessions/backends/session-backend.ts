// What the session manager needs from a backend (process or docker). The manager owns lifetimes,
// capacity, the pool and state.json; a backend only starts and stops browsers and finds what a
// previous run left behind.
import type { Recording } from './screen-recorder.js';

export type SessionKind = 'headless' | 'vnc';

export interface LaunchSpec {
  id: string;
  /** Browser headless; false for VNC sessions (headful under their own X display). */
  headless: boolean;
  vnc: boolean;
  width: number;
  height: number;
  clientId: string | null;
  pool: boolean;
  /**
   * A persistent profile's user-data directory (`${OUTPOST_DATA_DIR}/profiles/<name>`): the
   * browser's default context keeps its cookies, storage and logins there. Null: a throwaway profile.
   */
  profileDir?: string | null;
  /** The session's own egress and identity, or null for the browser's defaults. */
  identity?: SessionIdentity | null;
  /** Aborted when the appliance shuts down: a launch still waiting gives up and cleans up. */
  signal?: AbortSignal;
}

/**
 * What a session's browser presents to the sites it visits and what it may reach (create fields
 * proxy, user_agent, locale, timezone, geolocation, block_urls, extra_args, extensions), checked
 * by session-settings.ts.
 */
export interface SessionIdentity {
  proxy: string | null;
  userAgent: string | null;
  locale: string | null;
  timezone: string | null;
  geolocation: { latitude: number; longitude: number; accuracy: number } | null;
  /** URL patterns whose requests fail in every page (`*` matches any run of characters). */
  blockUrls: string[];
  /** Chromium switches from the allow-list (extra-args.ts). */
  extraArgs: string[];
  /** Names of unpacked extensions under `${OUTPOST_DATA_DIR}/extensions`. */
  extensions: string[];
}

/** Backend-specific facts kept in state.json to find a session again after a restart. */
export type BackendRecord = Record<string, string | number | boolean | null | number[]>;

export interface LaunchedBrowser {
  /** The browser's own Playwright websocket, on loopback; clients reach it through the appliance. */
  wsEndpoint: string;
  /** The session's VNC server on loopback, when it has one. */
  vnc: { host: string; port: number; password: string } | null;
  /** The browser's DevTools (CDP) HTTP and websocket server on loopback; null where the backend has none. */
  cdp: { host: string; port: number } | null;
  /**
   * Where the browser writes downloads (Playwright's downloads path, named by download id), on this
   * host; null where they stay out of reach (inside a container).
   */
  downloadsDir: string | null;
  /** Records the session's display into `out` (screen-recorder.ts); absent for a session without one. */
  recordScreen?(opts: { out: string; fps: number; fit: { width: number; height: number } | null; onFailed(error: string): void }): Promise<Recording>;
  record: BackendRecord;
  /** Settles when the browser (or its display) goes away on its own, with a reason. */
  exited: Promise<string>;
  /** Ends everything this session started. Idempotent. */
  close(): Promise<void>;
  /** Proportional set size of everything the session runs, in bytes (for metrics and bench). */
  memoryBytes(): Promise<number>;
}

export interface PersistedSession {
  id: string;
  kind: SessionKind;
  headless: boolean;
  vnc: boolean;
  width: number;
  height: number;
  client_id: string | null;
  /** Absent in files of releases before profiles. */
  profile?: string | null;
  labels: Record<string, string>;
  start_url: string | null;
  ttl_s: number;
  idle_s: number;
  pool: boolean;
  from_pool: boolean;
  created_at: string;
  last_seen_at: string;
  /** null for pool sessions, which never expire */
  ttl_deadline: string | null;
  backend: 'process' | 'docker';
  /** How the client asked for it (absent in files of older releases: 'api'). */
  protocol?: SessionProtocol;
  record: BackendRecord;
}

/**
 * How a client asked for a session, for the counters: the REST API (then driven over any of the
 * session's endpoints), a connect-and-go URL, WebDriver, or the orchestrator's /access.
 */
export type SessionProtocol = 'api' | 'playwright' | 'cdp' | 'webdriver' | 'compat';
export const SESSION_PROTOCOLS: readonly SessionProtocol[] = ['api', 'playwright', 'cdp', 'webdriver', 'compat'];

export interface RecoveredSession {
  persisted: PersistedSession;
  browser: LaunchedBrowser;
}

export interface SessionBackend {
  readonly name: 'process' | 'docker';
  /** Whether launch() honours LaunchSpec.profileDir (a persistent profile). */
  readonly profiles?: boolean;
  /** Whether launch() honours LaunchSpec.identity (the session's own egress and identity). */
  readonly sessionSettings?: boolean;
  /** Whether headful sessions can be recorded (LaunchedBrowser.recordScreen). */
  readonly screenRecording?: boolean;
  launch(spec: LaunchSpec): Promise<LaunchedBrowser>;
  /**
   * Called once at start with what state.json recorded. Ends whatever cannot be adopted and returns
   * the sessions that can (the process backend adopts nothing: its browser servers lived inside
   * the old appliance process).
   */
  recover(records: PersistedSession[]): Promise<RecoveredSession[]>;
  /** How many sessions the backend can hold at once, when it has a limit of its own (host ports). */
  slots?(): number;
  /** Ends everything this backend still runs. */
  close(): Promise<void>;
}
