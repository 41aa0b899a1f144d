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
