// Readiness (GET /api/ready): proof that this release can do its job, not just that it answers.
// /api/health says the process is up; a release whose browser cannot start passes that. The
// readiness check starts a browser of its own through the session backend, loads a page the
// appliance serves (GET /api/ready/probe), and reads back the token that page carries. The update
// gates (scripts/update.sh, deploy.yml) and the testbed wait for it.
//
// The check runs when someone asks, not at boot, so an appliance nobody probes starts no extra
// browser. The route is public (health probes carry no token), so what an anonymous caller can
// cause is bounded: at most one check at a time; a passed check is reused for REUSE_MS; after a
// failure the next one waits RETRY_MS. After FAILURES_TO_FAIL failures in a row the answer is
// `failed`, which the update gates take as "roll back now" instead of waiting out their deadline.
import { randomBytes } from 'node:crypto';
import type { Log } from '../shared/log.js';
import type { LaunchedBrowser, SessionBackend } from './backends/session-backend.js';
import { chromiumType } from './playwright.js';

export const READY_REUSE_MS = 60_000;
export const READY_RETRY_MS = 2_000;
export const FAILURES_TO_FAIL = 3;
/** One check: launch, connect, load, read. The gates' deadlines (60 s by default) are longer. */
const CHECK_TIMEOUT_MS = 30_000;

export type ReadyStatus = 'checking' | 'ready' | 'failed' | 'stopping';

export interface ReadinessView {
  status: ReadyStatus;
  /** When the last check ended (ISO), null before the first. */
  checked_at: string | null;
  /** How long the last passed check took. */
  took_ms: number | null;
  /** Failed checks since the last one that passed. */
  failures: number;
  /** Why the last check failed, while it is the latest word. */
  error: string | null;
}

/** Loads `url` in the launched browser and returns the probe page's token. */
export type ProbePage = (browser: LaunchedBrowser, url: string, timeoutMs: number) => Promise<string>;

export interface ReadinessOptions {
  backend: SessionBackend;
  log: Log;
  /** The probe page's URL as this appliance's browsers reach it; null until the port is open. */
  probeUrl: () => string | null;
  /** By default Playwright's (playwrightProbe); unit tests pass their own. */
  probe?: ProbePage;
  now?: () => number;
}

export function createReadiness(opts: ReadinessOptions) {
  const { backend, log } = opts;
  const now = opts.now ?? Date.now;
  const probe = opts.probe ?? playwrightProbe(backend.name === 'docker' ? 'relay' : 'direct');
  /** Served by the probe page: a page from some other server cannot show it. */
  const token = randomBytes(16).toString('hex');
  const stopping = new AbortController();
  let running: Promise<void> | null = null;
  let passedAt: number | null = null;
  let endedAt: number | null = null;
  let tookMs: number | null = null;
  let failures = 0;
  let error: string | null = null;

  async function check(): Promise<void> {
    const began = now();
    const url = opts.probeUrl();
    let launched: LaunchedBrowser | undefined;
    try {
      if (!url) throw new Error('the appliance is not listening yet');
      launched = await backend.launch({
        id: `ready-${randomBytes(6).toString('hex')}`,
        headless: true,
        vnc: false,
        width: 800,
        height: 600,
        clientId: null,
        pool: false,
        signal: stopping.signal,
      });
      const seen = await withTimeout(probe(launched, url, CHECK_TIMEOUT_MS), CHECK_TIMEOUT_MS, 'the probe page did not load');
      if (seen !== token) throw new Error(`the probe page showed ${JSON.stringify(seen.slice(0, 40))}, not this appliance's token`);
      passedAt = now();
      tookMs = passedAt - began;
      failures = 0;
      error = null;
      log.info({ ms: tookMs }, 'readiness check passed: a browser started and loaded the probe page');
    } catch (err) {
      failures += 1;
      error = (err as Error).message.split('\n')[0] ?? String(err);
      passedAt = null;
      log.warn({ failures, error }, 'readiness check failed');
    } finally {
      endedAt = now();
      await launched?.close().catch((err: unknown) => log.warn({ err }, 'readiness check: closing its browser failed'));
    }
  }

  /** Starts a check when the last answer is stale; never more than one at a time. */
  function maybeCheck(): void {
    if (running || stopping.signal.aborted) return;
    const t = now();
    if (passedAt !== null && t - passedAt < READY_REUSE_MS) return;
    if (passedAt === null && endedAt !== null && t - endedAt < READY_RETRY_MS) return;
    running = check().finally(() => {
      running = null;
    });
  }

  return {
    token,
    /** The current answer; starts a check when the last one is stale. */
    view(): ReadinessView {
      maybeCheck();
      // A passed check stays the answer while a stale one is checked again.
      let status: ReadyStatus;
      if (stopping.signal.aborted) status = 'stopping';
      else if (passedAt !== null) status = 'ready';
      else if (failures >= FAILURES_TO_FAIL) status = 'failed';
      else status = 'checking';
      return {
        status,
        checked_at: endedAt === null ? null : new Date(endedAt).toISOString(),
        took_ms: passedAt === null ? null : tookMs,
        failures,
        error: passedAt === null ? error : null,
      };
    },
    /** Ends a check in progress (its browser included) before the backend closes. */
    async close(): Promise<void> {
      stopping.abort();
      await running;
    },
  };
}

export type Readiness = ReturnType<typeof createReadiness>;

/**
 * The check over Playwright. 'direct': the browser runs on this host and loads the probe page from
 * the appliance's own port. 'relay' (docker backend): the browser runs in a container that cannot
 * reach the host's loopback, so the appliance fetches its own page and hands it to the browser for
 * that URL; the page is still parsed and read back in the real browser.
 */
export function playwrightProbe(mode: 'direct' | 'relay'): ProbePage {
  return async (launched, url, timeoutMs) => {
    const chromium = await chromiumType();
    const browser = await chromium.connect(launched.wsEndpoint, { timeout: timeoutMs });
    try {
      const page = await browser.newPage();
      if (mode === 'relay') {
        await page.route(url, async (route) => {
          const r = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
          await route.fulfill({ status: r.status, contentType: r.headers.get('content-type') ?? 'text/html', body: await r.text() });
        });
      }
      const res = await page.goto(url, { timeout: timeoutMs, waitUntil: 'load' });
      if (!res?.ok()) throw new Error(`the probe page answered ${res?.status() ?? 'nothing'}`);
      return (await page.textContent('#outpost-ready', { timeout: timeoutMs })) ?? '';
    } finally {
      await browser.close().catch(() => undefined);
    }
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}
