// What happened in a session, for GET /api/sessions/:id/logs (issue 15): the browser's console
// messages and log entries, its failed requests, and the session's own lifecycle. The appliance
// watches the browser over its DevTools endpoint (devtools.ts), attached to every page of every
// context, whoever opened it (a Playwright client's context, a CDP client's tab, WebDriver's).
// Bounded per session; kept for a while after the session ends so a finished run can be read.
import type WebSocket from 'ws';
import { watchBrowser } from './devtools.js';
import type { Session } from './session-manager.js';

export type LogKind = 'console' | 'browser' | 'request_failed' | 'lifecycle';

export interface LogEntry {
  at: string;
  kind: LogKind;
  level: string;
  message: string;
  url?: string;
}

const MAX_ENTRIES = 1000;
const MAX_MESSAGE = 2000;
/** How long the logs of an ended session stay readable. */
const KEEP_AFTER_END_MS = 3600_000;

interface Watch {
  entries: LogEntry[];
  dropped: number;
  socket: WebSocket | null;
  endedAt: number | null;
}

function text(v: unknown): string {
  const s = typeof v === 'string' ? v : JSON.stringify(v) ?? String(v);
  return s.length > MAX_MESSAGE ? `${s.slice(0, MAX_MESSAGE)}…` : s;
}

/** A console call's arguments as the console would print them (remote objects by their description). */
function consoleText(args: Array<{ type: string; value?: unknown; description?: string; unserializableValue?: string }>): string {
  return args.map((a) => (a.value !== undefined ? (typeof a.value === 'string' ? a.value : JSON.stringify(a.value)) : (a.unserializableValue ?? a.description ?? a.type))).join(' ');
}

export function createSessionLogs(now: () => number = Date.now) {
  const watches = new Map<string, Watch>();

  function add(w: Watch, entry: Omit<LogEntry, 'at'>): void {
    if (w.entries.length >= MAX_ENTRIES) {
      w.entries.shift();
      w.dropped += 1;
    }
    w.entries.push({ at: new Date(now()).toISOString(), ...entry, message: text(entry.message) });
  }

  function prune(): void {
    const t = now();
    for (const [id, w] of watches) if (w.endedAt !== null && t - w.endedAt > KEEP_AFTER_END_MS) watches.delete(id);
  }

  /** Attaches to every target of the browser and records what its pages say. */
  async function attach(s: Session, w: Watch): Promise<void> {
    /** URLs of requests in flight, to name a failed one (bounded). */
    const requests = new Map<string, string>();
    const socket = await watchBrowser(s, {
      onOpen: (send) => send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: true }),
      onMessage(msg, send) {
        const p = msg.params ?? {};
        switch (msg.method) {
          case 'Target.attachedToTarget': {
            const sid = p.sessionId as string;
            // Pages (and their workers) report; attach to what they open too.
            send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: true }, sid);
            if (p.targetInfo?.type === 'page' || p.targetInfo?.type === 'iframe') {
              send('Runtime.enable', {}, sid);
              send('Log.enable', {}, sid);
              send('Network.enable', { maxTotalBufferSize: 0, maxResourceBufferSize: 0 }, sid);
            }
            break;
          }
          case 'Runtime.consoleAPICalled':
            add(w, { kind: 'console', level: String(p.type ?? 'log'), message: consoleText(p.args ?? []) });
            break;
          case 'Runtime.exceptionThrown':
            add(w, { kind: 'console', level: 'error', message: p.exceptionDetails?.exception?.description ?? p.exceptionDetails?.text ?? 'uncaught exception' });
            break;
          case 'Log.entryAdded':
            add(w, { kind: 'browser', level: String(p.entry?.level ?? 'info'), message: String(p.entry?.text ?? ''), ...(p.entry?.url ? { url: String(p.entry.url) } : {}) });
            break;
          case 'Network.loadingFailed':
            if (!p.canceled) add(w, { kind: 'request_failed', level: 'error', message: String(p.errorText ?? 'failed'), ...(requests.get(p.requestId) ? { url: requests.get(p.requestId) } : {}) });
            requests.delete(p.requestId);
            break;
          case 'Network.requestWillBeSent':
            // Only the URL is kept, until the request finishes or fails (bounded).
            if (requests.size < 5000) requests.set(p.requestId, String(p.request?.url ?? ''));
            break;
          case 'Network.loadingFinished':
            requests.delete(p.requestId);
            break;
        }
      },
    });
    // The session may have ended while the connection opened.
    if (w.endedAt !== null || s.status === 'closing' || s.status === 'closed') socket.terminate();
    else w.socket = socket;
  }

  return {
    /** A session started: its lifecycle from here, and its browser's pages (settles once it listens). */
    async started(s: Session, how: string): Promise<void> {
      prune();
      const w: Watch = { entries: [], dropped: 0, socket: null, endedAt: null };
      watches.set(s.id, w);
      add(w, { kind: 'lifecycle', level: 'info', message: how });
      if (s.browser?.cdp) {
        await attach(s, w).catch((err: unknown) => add(w, { kind: 'lifecycle', level: 'warning', message: `the browser's console is not watched: ${(err as Error).message}` }));
      }
    },
    note(s: Session, message: string, level = 'info'): void {
      const w = watches.get(s.id);
      if (w) add(w, { kind: 'lifecycle', level, message });
    },
    ended(s: Session, reason: string): void {
      const w = watches.get(s.id);
      if (!w) return;
      add(w, { kind: 'lifecycle', level: 'info', message: `session ended (${reason})` });
      w.endedAt = now();
      w.socket?.terminate();
      w.socket = null;
    },
    get(id: string): { entries: LogEntry[]; dropped: number; ended: boolean } | null {
      const w = watches.get(id);
      return w ? { entries: w.entries, dropped: w.dropped, ended: w.endedAt !== null } : null;
    },
    close(): void {
      for (const w of watches.values()) w.socket?.terminate();
      watches.clear();
    },
  };
}

export type SessionLogs = ReturnType<typeof createSessionLogs>;
