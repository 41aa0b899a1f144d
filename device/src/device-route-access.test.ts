// Nothing gets into the device without the token (DESIGN.md, "Security"): every route the app
// registers, in every spelling of route-table.ts, without a token, with a wrong one and with the
// right one. The routes come from the app itself (app.routeCatalog()), so a route added tomorrow is
// in this table the day it is added. A real port, not inject(): see route-table.ts.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeSessionBackend, type FakeBackend } from '../test/fake-backend.js';
import { deviceConfig, tempDir, testToken, testWebRoot } from '../test/helpers.js';
import { SPELLINGS_PER_PATH, concretePath, printTableSummary, rawRequest, tableProblems, withQuery, type Credential, type TableCase } from '../test/route-table.js';
import { buildApp } from './app.js';
import type { CatalogRoute } from './shared/http/route-access.js';

const TOKEN = testToken();
const NONE: Credential = { name: 'no token', headers: {} };
const WRONG: Credential = { name: 'wrong token', headers: { authorization: `Bearer ${testToken()}` } };
const RIGHT: Credential = { name: 'right token', headers: { authorization: `Bearer ${TOKEN}` } };
// HTTP Basic with the token as the password: the WebDriver routes' way in (route config basicAuth).
const BASIC: Credential = { name: 'token as a Basic password', headers: { authorization: `Basic ${Buffer.from(`selenium:${TOKEN}`).toString('base64')}` } };
const BASIC_WRONG: Credential = { name: 'wrong Basic password', headers: { authorization: `Basic ${Buffer.from(`selenium:${testToken()}`).toString('base64')}` } };
// The token in the URL: websocket upgrades' way in, and the recording's (route config queryToken),
// for a <video> element that cannot send a header.
const QUERY: Credential = { name: 'token in the query', headers: {}, query: `access_token=${TOKEN}` };
const QUERY_WRONG: Credential = { name: 'wrong token in the query', headers: {}, query: `access_token=${testToken()}` };

describe('device routes in every spelling', () => {
  const dir = tempDir();
  let app: FastifyInstance;
  let backend: FakeBackend;
  let port: number;
  let routes: CatalogRoute[];
  let sessionId: string;

  beforeAll(async () => {
    backend = fakeSessionBackend();
    app = await buildApp(
      deviceConfig({ OUTPOST_DATA_DIR: dir.path, OUTPOST_API_TOKEN: TOKEN, OUTPOST_POOL_HEADLESS: '0', OUTPOST_POOL_VNC: '0' }),
      { webRoot: testWebRoot(dir.path), sessionBackend: backend },
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
    routes = app.routeCatalog();
    // Headless: a VNC session would have the manager open its window over Playwright, and the fake
    // backend runs no browser.
    sessionId = (await app.sessionManager.create({ client_id: 'victim' })).session.id;
  });
  afterAll(async () => {
    await app?.close();
    dir.remove();
  });

  // A real file behind each wildcard: the UI's index.html, and a Swagger UI file under /docs/static/.
  const params = (name: string, route: CatalogRoute) =>
    ({ id: sessionId, action: 'restart', '*': route.url.startsWith('/docs/') ? 'swagger-ui.css' : 'index.html' })[name] ?? 'x';
  const cases: TableCase[] = [];
  const table = () => ({ port, routes, params, dataDir: dir.path, cases });

  it('knows the routes from the app itself, and only the health and readiness probes and the UI files are public (the API docs are not)', () => {
    expect(routes.length).toBeGreaterThan(20);
    expect(routes.filter((r) => r.public).map((r) => `${r.method} ${r.url}`).sort()).toEqual([
      'GET /*',
      'GET /api/health',
      'GET /api/ready',
      'GET /api/ready/probe',
      'HEAD /*',
      'HEAD /api/health',
      'HEAD /api/ready',
      'HEAD /api/ready/probe',
    ]);
    expect(routes.filter((r) => r.websocket).map((r) => r.url).sort()).toEqual([
      '/cdp',
      '/playwright',
      '/session/:sid/se/bidi',
      '/sessions/:id/cdp',
      '/sessions/:id/cdp/devtools/:kind/:target',
      '/sessions/:id/playwright',
      '/sessions/:id/vnc',
      '/wd/hub/session/:sid/se/bidi',
    ]);
    // The API docs (api-docs.ts) are in the table too, closed like the rest.
    expect(routes.map((r) => `${r.method} ${r.url}`)).toEqual(expect.arrayContaining(['GET /docs', 'GET /docs/json', 'GET /docs/yaml', 'GET /docs/static/*']));
  });

  it('refuses every non-public route, in every spelling, without a token or with a wrong one', async () => {
    expect(await tableProblems(table(), [NONE, WRONG], () => false)).toEqual([]);
  });

  it('changed nothing while refusing: the session is still there and no other was made', () => {
    expect(app.sessionManager.list().map((s) => s.id)).toEqual([sessionId]);
    // Besides the readiness checks the public /api/ready started, which are the appliance's own.
    expect(backend.launched.filter((s) => !s.id.startsWith('ready-'))).toHaveLength(1);
  });

  it('lets the right token through on every route, in every spelling', async () => {
    expect(await tableProblems(table(), [RIGHT], () => true)).toEqual([]);
  });

  it('takes the token as a Basic password on the WebDriver routes only, and never a wrong one', async () => {
    expect(routes.filter((r) => r.basicAuth).length).toBeGreaterThan(0);
    for (const r of routes.filter((x) => x.basicAuth)) expect(r.url, `${r.method} ${r.url}`).toMatch(/^(\/wd\/hub)?\/(session|status)/);
    // Other spellings of a WebDriver path match no route, or another one, so they are refused too:
    // Basic opens nothing but the routes that say so (checked in every spelling), and those in
    // their own spelling.
    expect(await tableProblems(table(), [BASIC], () => false, (c) => c.route.basicAuth)).toEqual([]);
    expect(await tableProblems(table(), [BASIC_WRONG], () => false)).toEqual([]);
    const port = (app.server.address() as { port: number }).port;
    for (const r of routes.filter((x) => x.basicAuth && !x.websocket)) {
      const path = r.url.replace(':sid', 'x').replace('*', 'url');
      const res = await rawRequest(port, { method: r.method, path, headers: BASIC.headers, body: r.method === 'POST' ? '{}' : undefined });
      expect(res.status, `${r.method} ${path}`).not.toBe(401);
    }
  });

  it('takes the token in the query on websocket upgrades and the recording only, and never a wrong one', async () => {
    expect(routes.filter((r) => r.queryToken).map((r) => `${r.method} ${r.url}`).sort()).toEqual(['GET /api/sessions/:id/recording', 'HEAD /api/sessions/:id/recording']);
    // Every other route refuses it in every spelling (websocket upgrades take it by design; the
    // recording's other spellings match no route, or another one, and are refused).
    expect(await tableProblems(table(), [QUERY], () => false, (c) => c.route.websocket || c.route.queryToken)).toEqual([]);
    expect(await tableProblems(table(), [QUERY_WRONG], () => false)).toEqual([]);
    // The recording in its own spelling, under both names of the parameter: past auth to the
    // route itself (this session records nothing: its 404 says so).
    for (const r of routes.filter((x) => x.queryToken)) {
      for (const query of [`access_token=${TOKEN}`, `token=${TOKEN}`]) {
        const res = await rawRequest(port, { method: r.method, path: withQuery(concretePath(r.url, (name) => params(name, r)), query) });
        expect(res.status, `${r.method} ${r.url}?${query.split('=')[0]}`).toBe(404);
        if (r.method === 'GET') expect(res.body).toMatch(/has no recording/);
      }
    }
  });

  it(`ran routes × ${SPELLINGS_PER_PATH} spellings × 7 credentials`, () => {
    expect(cases).toHaveLength(routes.length * SPELLINGS_PER_PATH * 7);
    printTableSummary('device', routes, cases, (c) => c.credential === RIGHT);
  });
});
