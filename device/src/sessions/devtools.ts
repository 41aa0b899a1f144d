// A session browser's DevTools endpoint on loopback (backends/devtools-port.ts), as the CDP relays
// reach it: the origin, chromium's JSON discovery, and the browser-level socket.
import WebSocket from 'ws';
import { BrowserUnreachableError, SessionNotFoundError } from '../shared/errors.js';
import type { Session } from './session-manager.js';

const FETCH_TIMEOUT_MS = 5000;

/** host:port of the session's DevTools endpoint; a pool, unready or CDP-less session is not found. */
export function devtoolsOrigin(s: Session): string {
  if (s.pool || s.status !== 'ready' || !s.browser) throw new SessionNotFoundError(s.id);
  const cdp = s.browser.cdp;
  if (!cdp) throw new SessionNotFoundError(`${s.id}/cdp (this backend gives sessions no DevTools endpoint)`);
  return `${cdp.host}:${cdp.port}`;
}

/** One of chromium's discovery answers (/json/version, /json/list); 502 when the browser does not give it. */
export async function devtoolsJson<T>(s: Session, path: string): Promise<T> {
  const origin = devtoolsOrigin(s);
  try {
    const res = await fetch(`http://${origin}${path}`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!res.ok) throw new Error(`status ${res.status}`);
    return (await res.json()) as T;
  } catch (err) {
    throw new BrowserUnreachableError(s.id, (err as Error).message);
  }
}

/** The browser-level DevTools websocket (what Puppeteer's browserWSEndpoint names). */
export async function browserSocketUrl(s: Session): Promise<string> {
  const version = await devtoolsJson<{ webSocketDebuggerUrl: string }>(s, '/json/version');
  return `ws://${devtoolsOrigin(s)}${new URL(version.webSocketDebuggerUrl).pathname}`;
}

/**
 * Makes sure the browser has a page target (chromedriver attaches to a browser only through one; a
 * headless browser Playwright started has none until a client opens one): a blank tab when none.
 */
export async function ensurePageTarget(s: Session): Promise<void> {
  const targets = await devtoolsJson<Array<{ type: string }>>(s, '/json/list');
  if (targets.some((t) => t.type === 'page')) return;
  try {
    const res = await fetch(`http://${devtoolsOrigin(s)}/json/new?about:blank`, { method: 'PUT', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    if (!res.ok) throw new Error(`status ${res.status}`);
  } catch (err) {
    throw new BrowserUnreachableError(s.id, (err as Error).message);
  }
}

/** A DevTools event (or an answer, which watchers ignore). */
export interface DevtoolsMessage {
  method?: string;
  params?: Record<string, any>;
  sessionId?: string;
}

/** A command on a watcher's connection: dropped once the socket is not open. */
export type DevtoolsSend = (method: string, params?: object, sessionId?: string) => void;

/**
 * The appliance's own connection to a session browser's DevTools (session-logs.ts,
 * session-downloads.ts): `onOpen` sends the first commands, every event goes to `onMessage`.
 * Resolves with the socket once it is open (or has failed: a watcher never fails its session).
 */
export async function watchBrowser(s: Session, handlers: { onOpen(send: DevtoolsSend): void; onMessage(msg: DevtoolsMessage, send: DevtoolsSend): void }): Promise<WebSocket> {
  const socket = new WebSocket(await browserSocketUrl(s), { perMessageDeflate: false });
  let nextId = 1;
  const send: DevtoolsSend = (method, params = {}, sessionId) => {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ id: nextId++, method, params, ...(sessionId ? { sessionId } : {}) }));
  };
  socket.on('open', () => handlers.onOpen(send));
  socket.on('message', (data) => {
    let msg: DevtoolsMessage;
    try {
      msg = JSON.parse(data.toString()) as DevtoolsMessage;
    } catch {
      return;
    }
    handlers.onMessage(msg, send);
  });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => {
    socket.once('open', () => resolve());
    socket.once('close', () => resolve());
  });
  return socket;
}
