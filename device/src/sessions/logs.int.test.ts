// A session's logs (issue 15): the browser's console messages and failed requests, from a page a
// Playwright client opened in its own context, and the session's lifecycle; still readable after
// the session ends. Real chromium.
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppliance, type TestAppliance } from '../../test/appliance.js';
import { waitFor } from '../../test/helpers.js';
import { startTestPages, type TestPages } from '../../test/pages.js';

describe('session logs', () => {
  let t: TestAppliance;
  let pages: TestPages;
  beforeAll(async () => {
    pages = await startTestPages();
    t = await startAppliance({});
  });
  afterAll(async () => {
    await t?.close();
    await pages?.close();
  });

  it('records console messages and failed requests of every page, and the lifecycle, also after the end', async () => {
    const res = await t.api('POST', '/api/sessions', {});
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    const browser = await chromium.connect(res.body.ws_endpoint);
    try {
      const page = await browser.newPage();
      await page.goto(`${pages.url}/title?t=logs`);
      await page.evaluate(`console.log('hello from the page', 42); console.error('something broke'); fetch('http://127.0.0.1:1/nothing').catch(() => {});`);
      await waitFor(
        async () => {
          const entries = (await t.api('GET', `/api/sessions/${id}/logs`)).body.entries as Array<{ kind: string; message: string; url?: string }>;
          return entries.some((e) => e.kind === 'console' && e.message === 'hello from the page 42') && entries.some((e) => e.kind === 'request_failed' && e.url === 'http://127.0.0.1:1/nothing');
        },
        { timeoutMs: 15_000, what: 'the console message and the failed request in the logs' },
      );
    } finally {
      await browser.close();
    }
    const live = (await t.api('GET', `/api/sessions/${id}/logs`)).body;
    expect(live).toMatchObject({ session: id, ended: false, dropped: 0 });
    expect(live.entries[0]).toMatchObject({ kind: 'lifecycle', message: 'session started (cold start, over api)' });
    expect(live.entries).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'console', level: 'error', message: 'something broke' })]));

    await t.api('DELETE', `/api/sessions/${id}`);
    const after = (await t.api('GET', `/api/sessions/${id}/logs`)).body;
    expect(after.ended).toBe(true);
    expect(after.entries.at(-1)).toMatchObject({ kind: 'lifecycle', message: 'session ended (deleted)' });
    expect((await t.api('GET', '/api/sessions/nope/logs')).status).toBe(404);
  });
});
