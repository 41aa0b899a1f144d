// Nothing gets into the fleet monitor without the token (DESIGN.md, "Security"): every route the
// app registers, in every spelling of device/test/route-table.ts, without a token, with a wrong
// one, with the monitor's update secret (which opens nothing), with a device's own update
// credential (which opens the update routes at most, decided by isUpdateRoute on the matched
// route), with the admin token and with a named one (OUTPOST_FLEET_TOKENS_FILE), and with the admin
// token in the query (which opens websocket upgrades and the recording relay only). The routes come from the app
// itself, so a route added tomorrow is in this table the day it is added. A real port, not
// inject(): see route-table.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogRoute } from '../../device/src/shared/index.js';
import { concretePath, type Credential, printTableSummary, rawRequest, SPELLINGS_PER_PATH, type TableCase, tableProblems, tempDir, testToken, testWebRoot, withQuery } from '../../device/test/index.js';
import { oneDeviceFleet } from '../test/test-fleet.js';
import { isUpdateRoute } from './updates/update-auth.js';
import { createDeviceCredentials } from './updates/device-credential.js';

const TOKEN = testToken();
const UPDATE_SECRET = testToken();
const NONE: Credential = { name: 'no token', headers: {} };
const WRONG: Credential = { name: 'wrong token', headers: { authorization: `Bearer ${testToken()}` } };
const UPDATE: Credential = { name: 'update secret', headers: { authorization: `Bearer ${UPDATE_SECRET}` } };
const DEVICE: Credential = { name: 'device credential', headers: { authorization: `Bearer ${createDeviceCredentials(UPDATE_SECRET).tokenFor('kiosk-1')}` } };
const RIGHT: Credential = { name: 'admin token', headers: { authorization: `Bearer ${TOKEN}` } };
const NAMED_TOKEN = testToken();
const NAMED: Credential = { name: 'named token', headers: { authorization: `Bearer ${NAMED_TOKEN}` } };
// The token in the URL: for websocket upgrades, and for the recording relay's <video> element (route config queryToken).
const QUERY: Credential = { name: 'token in the query', headers: {}, query: `access_token=${TOKEN}` };
const QUERY_WRONG: Credential = { name: 'wrong token in the query', headers: {}, query: `access_token=${testToken()}` };

const updateRoute = (r: CatalogRoute) => isUpdateRoute({ method: r.method, routeOptions: { url: r.url } } as unknown as FastifyRequest);

describe('fleet routes in every spelling', () => {
  const dir = tempDir('outpost-fleet-routes-');
  let app: FastifyInstance;
  let port: number;
  let routes: CatalogRoute[];

  beforeAll(async () => {
    writeFileSync(join(dir.path, 'tokens'), `alice ${NAMED_TOKEN}\n`, { mode: 0o600 });
    app = await oneDeviceFleet(
      dir.path,
      { OUTPOST_FLEET_TOKEN: TOKEN, OUTPOST_FLEET_UPDATE_TOKEN: UPDATE_SECRET, OUTPOST_FLEET_TOKENS_FILE: join(dir.path, 'tokens') },
      { webRoot: testWebRoot(dir.path) },
    );
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as { port: number }).port;
    routes = app.routeCatalog();
  });
  afterAll(async () => {
    await app?.close();
    dir.remove();
  });

  // A release that is not there: its 404 must not name the releases directory.
  // Behind each wildcard a real file: the UI's index.html, and a Swagger UI file under /docs/static/.
  const params = (name: string, route: CatalogRoute) =>
    ({ id: 'kiosk-1', device: 'kiosk-1', channel: 'stable', file: 'outpost-9.9.9-linux-x64.tar.gz', '*': route.url.startsWith('/docs/') ? 'swagger-ui.css' : 'index.html' })[name] ?? 'x';
  const cases: TableCase[] = [];
  const table = () => ({ port, routes, params, dataDir: dir.path, cases });

  it('knows the routes from the app itself, and only the health probe and the UI files are public (the API docs are not)', () => {
    expect(routes.length).toBeGreaterThan(20);
    expect(routes.filter((r) => r.public).map((r) => `${r.method} ${r.url}`).sort()).toEqual(['GET /*', 'GET /api/health', 'HEAD /*', 'HEAD /api/health']);
    expect(routes.filter((r) => r.websocket).map((r) => r.url).sort()).toEqual([
      '/cdp',
      '/playwright',
      '/sessions/:device/:id/cdp',
      '/sessions/:device/:id/cdp/devtools/:kind/:target',
      '/sessions/:device/:id/playwright',
      '/sessions/:device/:id/vnc',
      '/wd/hub/session/:sid/se/bidi',
    ]);
    // The API docs (api-docs.ts) are in the table too, closed like the rest.
    expect(routes.map((r) => `${r.method} ${r.url}`)).toEqual(expect.arrayContaining(['GET /docs', 'GET /docs/json', 'GET /docs/yaml', 'GET /docs/static/*']));
  });

  it('refuses every non-public route, in every spelling, without a token, with a wrong one, with the update secret, and with a device credential outside the update routes', async () => {
    // A device's credential may open the update routes (what it gets there is update-routes' business).
    const deviceOnUpdateRoute = (c: TableCase) => c.credential === DEVICE && updateRoute(c.route);
    expect(await tableProblems(table(), [NONE, WRONG, UPDATE, DEVICE], () => false, deviceOnUpdateRoute)).toEqual([]);
  });

  it('lets the admin token and a named one through on every route, in every spelling', async () => {
    expect(await tableProblems(table(), [RIGHT, NAMED], () => true)).toEqual([]);
  });

  it('takes the token in the query on websocket upgrades and the recording relay only, and never a wrong one', async () => {
    expect(routes.filter((r) => r.queryToken).map((r) => `${r.method} ${r.url}`).sort()).toEqual(['GET /api/sessions/:device/:id/recording', 'HEAD /api/sessions/:device/:id/recording']);
    expect(await tableProblems(table(), [QUERY], () => false, (c) => c.route.websocket || c.route.queryToken)).toEqual([]);
    expect(await tableProblems(table(), [QUERY_WRONG], () => false)).toEqual([]);
    // In its own spelling the relay gets past auth to the device, which is not there (502).
    for (const r of routes.filter((x) => x.queryToken)) {
      for (const query of [`access_token=${TOKEN}`, `token=${NAMED_TOKEN}`]) {
        const res = await rawRequest(port, { method: r.method, path: withQuery(concretePath(r.url, (name) => params(name, r)), query) });
        expect(res.status, `${r.method} ${r.url}?${query.split('=')[0]}`).toBe(502);
      }
    }
  });

  it(`ran routes × ${SPELLINGS_PER_PATH} spellings × 8 credentials`, () => {
    expect(cases).toHaveLength(routes.length * SPELLINGS_PER_PATH * 8);
    printTableSummary('fleet', routes, cases, (c) => c.credential === RIGHT || c.credential === NAMED || (c.credential === DEVICE && updateRoute(c.route)));
  });
});
