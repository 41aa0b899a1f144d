// Browser-side helpers for tests that look at a live view in the system chromium.
import type { Page } from 'playwright-core';

/** RGB at the centre of the canvas noVNC draws into, or null before the first frame. */
export function liveViewCenterPixel(page: Page): Promise<[number, number, number] | null> {
  return page.evaluate(`(() => {
    const c = document.querySelector('[data-testid="vnc-screen"] canvas');
    if (!c || c.width === 0) return null;
    const d = c.getContext('2d').getImageData(Math.floor(c.width / 2), Math.floor(c.height / 2), 1, 1).data;
    return [d[0], d[1], d[2]];
  })()`);
}

/** Make the pages of this browser page send the API token (what the token prompt stores). */
export async function useToken(page: Page, token: string): Promise<void> {
  await page.addInitScript(`localStorage.setItem('outpost.token', ${JSON.stringify(token)})`);
}

/**
 * Collects every Content-Security-Policy violation the page or one of its frames reports (console
 * and the securitypolicyviolation event): the UIs must run under their policy without one.
 */
export async function watchCspViolations(page: Page): Promise<string[]> {
  const seen: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) seen.push(m.text());
  });
  await page.exposeFunction('__cspViolation', (v: string) => seen.push(v));
  await page.addInitScript(`document.addEventListener('securitypolicyviolation', (e) => { void window.__cspViolation(e.violatedDirective + ' ' + e.blockedURI); })`);
  return seen;
}
