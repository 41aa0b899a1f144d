// WebDriver sessions: each is an Outpost session (same pool, capacity, admission, TTL, idle, live
// view and cleanup as any other) with a chromedriver attached to its browser (chromedriver.ts).
// The WebDriver session id is chromedriver's own; commands are relayed to that chromedriver as they
// are. The WebDriver session ends with its Outpost session, whichever ends first: a DELETE of the
// WebDriver session ends the Outpost session, and an Outpost session that ends (TTL, idle, DELETE
// on the API, a crash) stops its chromedriver. chromedriver carries the owner marker, so after a
// kill -9 the process backend's recovery ends it with the rest (WebDriver sessions do not survive
// a restart).
import { request } from 'node:http';
import type { Log } from '../shared/log.js';
import type { createSessionBody } from '../shared/session-schemas.js';
import { devtoolsOrigin, ensurePageTarget } from '../sessions/devtools.js';
import type { Session, SessionManager } from '../sessions/session-manager.js';
import { readSessionRequest, SessionNotCreatedError } from './capabilities.js';
import { startChromedriver, type Chromedriver } from './chromedriver.js';

export interface WebDriverSession {
  id: string;
  session: Session;
  driver: Chromedriver;
  /** chromedriver's BiDi socket when the client asked for webSocketUrl. */
  bidiUrl: string | null;
}

export interface DriverAnswer {
  status: number;
  body: Buffer;
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** One HTTP exchange with a chromedriver on loopback; aborted when `signal` fires (the client left). */
export function askDriver(port: number, method: string, path: string, body: Buffer | null, signal?: AbortSignal): Promise<DriverAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method, path, signal, headers: body ? { 'content-type': JSON_TYPE, 'content-length': body.length } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body ?? undefined);
  });
}

export function createWebDriverSessions(opts: {
  manager: SessionManager;
  chromedriverPath: string;
  ownerKey: string;
  sessionSchema: ReturnType<typeof createSessionBody>;
  onSessionEnded: (listener: (s: Session) => void) => () => void;
  log: Log;
}) {
  const { manager, log } = opts;
  const byId = new Map<string, WebDriverSession>();
  const bySession = new Map<Session, Set<WebDriverSession>>();
  let closed = false;

  function forget(w: WebDriverSession): void {
    byId.delete(w.id);
    const set = bySession.get(w.session);
    set?.delete(w);
    if (set?.size === 0) bySession.delete(w.session);
  }

  const stopListening = opts.onSessionEnded((s) => {
    for (const w of bySession.get(s) ?? []) {
      forget(w);
      void w.driver.stop();
      log.info({ webdriverSession: w.id, sessionId: s.id }, 'WebDriver session ended with its session');
    }
  });

  return {
    get: (id: string) => byId.get(id),
    get size() {
      return byId.size;
    },

    /**
     * Makes the Outpost session and attaches a chromedriver to its browser. Resolves with
     * chromedriver's answer to the new-session command (its capabilities, made ours by the caller)
     * and the session, or throws SessionNotCreatedError / the manager's AppError.
     */
    async create(body: unknown): Promise<{ w: WebDriverSession; answer: Record<string, unknown> }> {
      const wanted = readSessionRequest(body, opts.sessionSchema);
      const { session, created } = await manager.create(wanted.create, { protocol: 'webdriver' });
      let driver: Chromedriver | undefined;
      try {
        if (closed) throw new SessionNotCreatedError('the appliance is shutting down', 'session not created', 503);
        let origin: string;
        try {
          origin = devtoolsOrigin(session);
        } catch {
          throw new SessionNotCreatedError("this appliance's sessions have no DevTools endpoint for chromedriver to attach to (the docker backend)", 'session not created', 501);
        }
        const [started, paged] = await Promise.allSettled([
          startChromedriver({ path: opts.chromedriverPath, ownerKey: opts.ownerKey, sessionId: session.id }),
          ensurePageTarget(session),
        ]);
        if (started.status === 'fulfilled') driver = started.value;
        else throw new SessionNotCreatedError(`chromedriver did not start: ${(started.reason as Error).message}`, 'session not created', 502);
        if (paged.status === 'rejected') throw new SessionNotCreatedError(`the session's browser did not open a page: ${(paged.reason as Error).message}`, 'session not created', 502);
        const caps = { alwaysMatch: { ...wanted.passOn, browserName: 'chrome', 'goog:chromeOptions': { debuggerAddress: origin } } };
        const res = await askDriver(driver.port, 'POST', '/session', Buffer.from(JSON.stringify({ capabilities: caps })));
        let parsed: { value?: { sessionId?: string; capabilities?: Record<string, unknown>; message?: string } } = {};
        try {
          parsed = JSON.parse(res.body.toString('utf8')) as typeof parsed;
        } catch {
          // not JSON: reported below with the status
        }
        const id = parsed.value?.sessionId;
        if (res.status !== 200 || typeof id !== 'string') {
          throw new SessionNotCreatedError(`chromedriver could not attach to the session's browser: ${parsed.value?.message ?? `status ${res.status}`}`, 'session not created', 502);
        }
        const answer = parsed.value!.capabilities ?? {};
        const w: WebDriverSession = { id, session, driver, bidiUrl: typeof answer.webSocketUrl === 'string' ? answer.webSocketUrl : null };
        byId.set(id, w);
        let set = bySession.get(session);
        if (!set) bySession.set(session, (set = new Set()));
        set.add(w);
        // A chromedriver that dies leaves a WebDriver session that cannot answer: forget it.
        void driver.exited.then(() => {
          if (byId.get(id) === w) {
            forget(w);
            log.warn({ webdriverSession: id, sessionId: session.id }, 'chromedriver exited; the WebDriver session is gone');
          }
        });
        log.info({ webdriverSession: id, sessionId: session.id, fromPool: session.fromPool }, 'WebDriver session started');
        return { w, answer };
      } catch (err) {
        await driver?.stop();
        // A session this request made is ended; a client's live one it was handed (client_id) stays.
        if (created) await manager.remove(session.id, 'deleted').catch(() => undefined);
        throw err;
      }
    },

    /** The client's DELETE: chromedriver says its goodbye, then the Outpost session ends. */
    async delete(w: WebDriverSession): Promise<DriverAnswer> {
      forget(w);
      const answer = await askDriver(w.driver.port, 'DELETE', `/session/${w.id}`, null).catch(() => ({ status: 200, body: Buffer.from('{"value":null}') }));
      await w.driver.stop();
      await manager.remove(w.session.id, 'deleted').catch(() => undefined);
      return answer;
    },

    async close(): Promise<void> {
      closed = true;
      stopListening();
      const all = [...byId.values()];
      for (const w of all) forget(w);
      await Promise.all(all.map((w) => w.driver.stop()));
    },
  };
}

export type WebDriverSessions = ReturnType<typeof createWebDriverSessions>;
