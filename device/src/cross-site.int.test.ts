// A page inside a session cannot act on the appliance (issue 10): a real session (process backend,
// real chromium) opens a page served from another port of 127.0.0.1, as any site a session visits
// could be, on a token-less appliance (the `npm start` default). The page tries the websockets of
// another session and the state-changing GETs, as subresources; the appliance must refuse all of
// it and every session must still be there. The page reports what it saw to its own server.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAppliance, type TestAppliance } from '../test/appliance.js';
import { waitFor } from '../test/helpers.js';
import { rawRequest } from '../test/route-table.js';

interface AttackReport {
  stage: 'websockets' | 'done';
  results: Record<string, string>;
}

/** The attacker's page: websockets first (harmless if they fail), then the destructive requests. */
function attackPage(appliance: string, victim: string): string {
  const ws = appliance.replace(/^http/, 'ws');
  return `<!doctype html><title>not the appliance</title><script>
(async () => {
  const target = ${JSON.stringify(appliance)};
  const results = {};
  const report = (stage) => fetch('/report', { method: 'POST', body: JSON.stringify({ stage, results }) });
  const socket = (url) => new Promise((resolve) => {
    const w = new WebSocket(url);
    w.onopen = () => { w.close(); resolve('open'); };
    w.onerror = () => resolve('refused');
  });
  results.vnc_of_other_session = await socket(${JSON.stringify(`${ws}/sessions/${victim}/vnc`)});
  results.playwright_of_other_session = await socket(${JSON.stringify(`${ws}/sessions/${victim}/playwright`)});
  await report('websockets');
  const img = (url) => new Promise((resolve) => {
    const i = new Image();
    i.onload = () => resolve('loaded');
    i.onerror = () => resolve('error');
    i.src = url;
  });
  const noCors = (url) => fetch(url, { mode: 'no-cors' }).then(() => 'sent', (e) => 'failed: ' + e.message);
  results.img_remove_all = await img(target + '/remove-all?via=img');
  results.fetch_remove_all = await noCors(target + '/remove-all');
  results.fetch_remove = await noCors(target + '/remove?id=victim');
  results.fetch_access = await noCors(target + '/access?id=intruder');
  await report('done');
})();
</script>`;
}

async function startAttackerSite(page: () => string): Promise<{ url: string; reports: AttackReport[]; close: () => Promise<void> }> {
  const reports: AttackReport[] = [];
  const server: Server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/report') {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        reports.push(JSON.parse(body) as AttackReport);
        res.writeHead(204).end();
      });
      return;
    }
    if (req.url?.startsWith('/attack')) {
      res.writeHead(200, { 'content-type': 'text/html' }).end(page());
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    reports,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('a page inside a session against the appliance', () => {
  let t: TestAppliance;
  let site: Awaited<ReturnType<typeof startAttackerSite>>;
  let victim: { id: string };

  beforeAll(async () => {
    t = await startAppliance(); // no token: the npm start default
    site = await startAttackerSite(() => attackPage(t.base, victim.id));
  });
  afterAll(async () => {
    await site?.close();
    await t?.close();
  });

  it('cannot open the websockets of another session, nor end or make sessions with GETs', async () => {
    const made = await t.api('POST', '/api/sessions', { vnc: true, client_id: 'victim' });
    expect(made.status).toBe(201);
    victim = made.body;
    const attacker = await t.api('POST', '/api/sessions', { client_id: 'browsing', start_url: `${site.url}/attack`, start_url_wait: 'load' });
    expect(attacker.status).toBe(201);

    const sockets = await waitFor(() => site.reports.find((r) => r.stage === 'websockets'), { timeoutMs: 60_000, what: "the page's first report" });
    expect(sockets.results).toEqual({ vnc_of_other_session: 'refused', playwright_of_other_session: 'refused' });
    // Before the fix this never came: the page's /remove-all ended its own session too.
    const done = await waitFor(() => site.reports.find((r) => r.stage === 'done'), { timeoutMs: 60_000, what: "the page's last report" });
    // The 403 is not an image; a no-cors fetch resolves whatever the status, so the state says it.
    expect(done.results.img_remove_all).toBe('error');
    const list = await t.api('GET', '/api/sessions');
    expect(list.status).toBe(200);
    expect(list.body.sessions.map((s: { client_id: string }) => s.client_id).sort()).toEqual(['browsing', 'victim']);
    expect(list.body.sessions.every((s: { status: string }) => s.status === 'ready')).toBe(true);
  });

  it('redirects /access relatively, never to the Host it was sent, with the password only in the fragment', async () => {
    const port = Number(new URL(t.base).port);
    // A token-less appliance does not answer to a foreign name at all (DNS rebinding)...
    const foreign = await rawRequest(port, { method: 'GET', path: '/access?id=operator', headers: { host: 'evil.example' } });
    expect(foreign.status).toBe(403);
    expect(JSON.parse(foreign.body).error.code).toBe('host_not_allowed');
    // ...and under one of its own names the redirect is relative all the same.
    const res = await rawRequest(port, { method: 'GET', path: '/access?id=operator', headers: { host: `localhost:${port}` } });
    expect(res.status).toBe(302);
    const location = String(res.headers.location);
    expect(location).toMatch(/^\/vnc\/\?session=[A-Za-z0-9_-]+#password=[A-Za-z0-9]{8}$/);
    expect(location).not.toContain('evil.example');
  });
});
