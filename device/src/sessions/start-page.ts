// The Playwright part of a session (DESIGN.md, "Sessions"): the appliance's own connection to the
// session's browser, holding the start page, and for VNC sessions the visible window, so the live
// view is never empty. The manager only says when; this module drives the browser.
import type { Browser, Page } from 'playwright-core';
import { StartUrlFailedError } from '../shared/errors.js';
import type { Log } from '../shared/log.js';
import { chromiumType } from './playwright.js';
import type { StartUrlWait } from '../shared/session-schemas.js';

const START_PAGE_TIMEOUT_MS = 30_000;

/** What the start page needs of a session. */
export interface StartPageTarget {
  id: string;
  headless: boolean;
  width: number;
  height: number;
  /** A persistent profile: its context (the browser's default one) holds the window. */
  profile: string | null;
  browser: { wsEndpoint: string } | null;
}

export interface StartPage {
  /** Opens the appliance's own window in the session's browser (once; later calls reuse it). */
  open(s: StartPageTarget): Promise<void>;
  /** Navigates that window to `url`; with `wait` other than 'none', throws StartUrlFailedError unless it gets there. */
  goto(s: StartPageTarget, url: string, wait: StartUrlWait): Promise<void>;
  /** Drops the appliance's connection, if it has one. Never throws. */
  close(s: StartPageTarget): Promise<void>;
}

export function createStartPage(log: Log): StartPage {
  // Keyed by the session object: a connection that completes after close() goes with the session.
  const owners = new WeakMap<StartPageTarget, { browser: Browser; page: Page }>();

  async function ensureOwner(s: StartPageTarget): Promise<Page> {
    const owned = owners.get(s);
    if (owned) return owned.page;
    if (!s.browser) throw new Error('session has no browser');
    const chromium = await chromiumType();
    const browser = await chromium.connect(s.browser.wsEndpoint, { timeout: START_PAGE_TIMEOUT_MS });
    // Headful windows take the display's size; headless pages get the session's size. A profile's
    // window is in the profile's own context, where its logins are.
    const persistent = s.profile !== null ? browser.contexts()[0] : undefined;
    const context = persistent ?? (await browser.newContext({ viewport: s.headless ? { width: s.width, height: s.height } : null }));
    const page = await context.newPage();
    owners.set(s, { browser, page });
    return page;
  }

  return {
    async open(s) {
      await ensureOwner(s);
    },
    async goto(s, url, wait) {
      const page = await ensureOwner(s);
      if (wait === 'none') {
        page.goto(url, { timeout: START_PAGE_TIMEOUT_MS }).catch((err: unknown) => log.warn({ err, sessionId: s.id, url }, 'start page failed'));
        return;
      }
      try {
        await page.goto(url, { waitUntil: wait, timeout: START_PAGE_TIMEOUT_MS });
      } catch (err) {
        throw new StartUrlFailedError(url, wait, (err as Error).message.split('\n')[0] ?? '');
      }
    },
    async close(s) {
      const owned = owners.get(s);
      owners.delete(s);
      if (owned) await owned.browser.close().catch(() => undefined);
    },
  };
}
