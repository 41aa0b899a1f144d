// What the appliance applies to a session's browser over its own DevTools connection (issue 15),
// for every page whoever opens it (a Playwright client's context, a CDP client's tab, WebDriver's
// window, a popup), before the session is handed out:
// - `geolocation`: the browser auto-attaches this connection to every new page and holds it until
//   the page has the position (Emulation.setGeolocationOverride) and its context the permission
//   (Browser.setPermission), then lets it run. Chromium holds a new page's first navigation until
//   every DevTools client that asked to wait says go, so clients that attach too (Playwright does)
//   change nothing.
// - `block_urls`: browser-wide request interception (Fetch.enable on the browser target) for the
//   patterns only; a request that matches fails as blocked by the client. Unlike
//   Network.setBlockedURLs, which a page's renderer applies, it also stops navigations, popups and
//   the requests of workers and of contexts opened later.
// - `extensions`: loaded unpacked (Extensions.loadUnpacked) and allowed in incognito, so they also
//   run in the contexts Playwright clients open.
// The process backend starts it and closes it with the session.
import { basename } from 'node:path';
import WebSocket from 'ws';
import type { Log } from '../shared/log.js';
import type { SessionIdentity } from './backends/session-backend.js';

export interface PagePoliciesOptions {
  /** The browser's DevTools endpoint on loopback (devtools-port.ts). */
  devtools: { host: string; port: number };
  identity: SessionIdentity | null;
  /** The identity's extensions as directories (identity-launch.ts). */
  extensionDirs: string[];
  log: Log;
  /** How long the browser may take to answer while the policies are set up. */
  timeoutMs: number;
  /** Aborted when the appliance shuts down: the setup gives up. */
  signal?: AbortSignal;
}

export interface PagePolicies {
  /** Drops the connection (the policies end with it). Idempotent. */
  close(): void;
}

interface Pending {
  method: string;
  resolve: (result: Record<string, any>) => void;
  reject: (err: Error) => void;
}

/**
 * A block_urls pattern as a Fetch pattern. DevTools' blocked URLs match anywhere in the URL, `*`
 * standing for any run of characters; Fetch patterns match the whole URL, with `?` for one
 * character and `\` escaping. (held by page-policies.test.ts)
 */
export function fetchPattern(pattern: string): string {
  return `*${pattern.replace(/[\\?]/g, (c) => `\\${c}`)}*`.replace(/\*{2,}/g, '*');
}

/** Applies the session's page policies; null when it has none (no connection is kept). */
export async function startPagePolicies(opts: PagePoliciesOptions): Promise<PagePolicies | null> {
  const geolocation = opts.identity?.geolocation ?? null;
  const blockUrls = opts.identity?.blockUrls ?? [];
  const watch = geolocation !== null || blockUrls.length > 0;
  if (!watch && opts.extensionDirs.length === 0) return null;

  // One deadline for the whole setup, the endpoint's discovery included; cleared whatever happens.
  let fail: (err: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => undefined);
  const step = <T>(p: Promise<T>): Promise<T> => Promise.race([p, failed]);
  const timer = setTimeout(() => fail(new Error(`the browser's DevTools did not answer within ${opts.timeoutMs} ms`)), opts.timeoutMs);
  const onAbort = () => fail(new Error('the appliance is shutting down'));
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const settled = () => {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  };

  const origin = `${opts.devtools.host}:${opts.devtools.port}`;
  const discovery = new AbortController();
  let path: string;
  try {
    const version = await step(fetch(`http://${origin}/json/version`, { signal: discovery.signal }));
    if (!version.ok) throw new Error(`the browser's DevTools endpoint answered ${version.status}`);
    path = new URL(((await step(version.json())) as { webSocketDebuggerUrl: string }).webSocketDebuggerUrl).pathname;
  } catch (err) {
    discovery.abort();
    settled();
    throw err;
  }
  const socket = new WebSocket(`ws://${origin}${path}`, { perMessageDeflate: false });
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let closed = false;

  const send = (method: string, params: object = {}, sessionId?: string): Promise<Record<string, any>> =>
    new Promise((resolve, reject) => {
      if (socket.readyState !== WebSocket.OPEN) return reject(new Error(`${method}: the DevTools connection is closed`));
      const id = nextId++;
      pending.set(id, { method, resolve, reject });
      socket.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });

  /** A new page gets the position, its context the permission; then it runs (whatever failed). */
  async function attached(p: { sessionId: string; waitingForDebugger: boolean; targetInfo: { type: string; browserContextId?: string } }): Promise<void> {
    try {
      if (geolocation && p.targetInfo.type === 'page') {
        const context = p.targetInfo.browserContextId ? { browserContextId: p.targetInfo.browserContextId } : {};
        await Promise.all([
          send('Browser.setPermission', { permission: { name: 'geolocation' }, setting: 'granted', ...context }),
          send('Emulation.setGeolocationOverride', geolocation, p.sessionId),
        ]);
      }
    } catch (err) {
      // Mostly a page that closed while it was set up.
      opts.log.debug({ err, type: p.targetInfo.type }, 'page policies not applied to a target');
    } finally {
      if (p.waitingForDebugger) send('Runtime.runIfWaitingForDebugger', {}, p.sessionId).catch(() => undefined);
    }
  }

  socket.on('message', (data) => {
    let msg: { id?: number; method?: string; params?: any; sessionId?: string; result?: Record<string, any>; error?: { message?: string } };
    try {
      msg = JSON.parse(data.toString());
    } catch {
      return;
    }
    if (typeof msg.id === 'number') {
      const call = pending.get(msg.id);
      if (!call) return;
      pending.delete(msg.id);
      if (msg.error) call.reject(new Error(`${call.method}: ${msg.error.message ?? 'failed'}`));
      else call.resolve(msg.result ?? {});
      return;
    }
    // Events of the browser target itself; the pages' own (with a sessionId) are not asked for.
    if (msg.sessionId) return;
    if (msg.method === 'Fetch.requestPaused') {
      send('Fetch.failRequest', { requestId: msg.params.requestId, errorReason: 'BlockedByClient' }).catch(() => undefined);
    } else if (msg.method === 'Target.attachedToTarget') {
      void attached(msg.params);
    }
  });
  socket.on('error', () => undefined);

  socket.on('close', () => {
    for (const call of pending.values()) call.reject(new Error(`${call.method}: the DevTools connection closed`));
    pending.clear();
    fail(new Error('the DevTools connection closed'));
    if (!closed) opts.log.warn('the page policies connection closed before the session ended');
  });

  const policies: PagePolicies = {
    close() {
      if (closed) return;
      closed = true;
      socket.terminate();
    },
  };
  try {
    await step(new Promise<void>((resolve) => socket.once('open', () => resolve())));
    for (const dir of opts.extensionDirs) {
      await step(send('Extensions.loadUnpacked', { path: dir, enableInIncognito: true })).catch((err: Error) => {
        throw new Error(`extension ${JSON.stringify(basename(dir))} did not load: ${err.message}`);
      });
    }
    if (blockUrls.length > 0) await step(send('Fetch.enable', { patterns: blockUrls.map((p) => ({ urlPattern: fetchPattern(p) })) }));
    if (geolocation) await step(send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: true, flatten: true }));
  } catch (err) {
    policies.close();
    throw err;
  } finally {
    settled();
  }
  // Extensions stay loaded without the connection; only the watch needs it.
  if (!watch) {
    policies.close();
    return null;
  }
  return policies;
}
