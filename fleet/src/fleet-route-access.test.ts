// Nothing gets into the fleet monitor without the token (DESIGN.md, "Security"): every route the
// app registers, in every spelling of device/test/route-table.ts, without a token, with a wrong
// one, with the devices' update secret (which opens the update routes at most, decided by
// isUpdateRoute on the matched route) and with the admin token. The routes come from the app
// itself, so a route added tomorrow is in this table the day it is added. A real port, not
// inject(): see route-table.ts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogRoute } from '../../device/src/http/route-access.js';
import { tempDir, testToken } from '../../device/test/helpers.js';
import { REFUSED, SPELLINGS_PER_PATH, describeCase, runTable, statusHistogram, type Credential, type TableCase } from '../../device/test/route-table.js';
import { buildFleetApp } from './app.js';
import { loadFleetConfig } from './config.js';
import { isUpdateRoute } from './updates/update-auth.js';

const TOKEN = testToken();
const UPDATE_SECRET = testToken();
const NONE: Credential = { name: 'no token', headers: {} };
const WRONG: Credential = { name: 'wrong token', headers: { authorization: `Bearer ${testToken()}` } };
const UPDATE: Credential = { name: 'update secret', headers: { authorization: `Bearer ${UPDATE_SECRET}` } };
const RIGHT: Credential = { name: 'admin token', headers: { authorization: `Bearer ${TOKEN}` } };

const updateRoute = (r: CatalogRoute) => isUpdateRoute({ method: r.method, routeOptions: { url: r.url } } as unknown as FastifyRequest);

describe('fleet routes in every spelling', () => {
  const dir = tempDir('outpost-fleet-routes-');
  let app: FastifyInstance;
  let port: number;
  let routes: CatalogRoute[];

  beforeAll(async () => {
    writeFileSync(join(dir.path, 'fleet.yaml'), 'devices:\n  - {id: kiosk-1, address: 127.0.0.1, port: 1}\n');
    const web = join(dir.path, 'web');
    mkdirSync(join(web, 'vnc'), { recursive: true });
    writeFileSync(join(web, 'index.html'), '<!doctype html><title>Outpost fleet</title>');
    writeFileSync(join(web, 'vnc', 'index.html'), '<!doctype html><title>Outpost live view</title>');
    app = await buildFleetApp(
      loadFleetConfig({
        OUTPOST_LOG_LEVEL: 'silent',
        OUTPOST_FLEET_INVENTORY: join(dir.path, 'fleet.yaml'),
        OUTPOST_FLEET_DB: join(dir.path, 'fleet.sqlite'),
        OUTPOST_FLEET_TOKEN: TOKEN,
        OUTPOST_FLEET_UPDATE_TOKEN: UPDATE_SECRET,
      }),
      { autoStart: false, webRoot: web },
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
  const params = (name: string) =>
    ({ id: 'kiosk-1', device: 'kiosk-1', channel: 'stable', file: 'outpost-9.9.9-linux-x64.tar.gz', '*': 'index.html' })[name] ?? 'x';
  const cases: TableCase[] = [];

  it('knows the routes from the app itself, and only the health probe and the UI files are public', () => {
    expect(routes.length).toBeGreaterThan(20);
    expect(routes.filter((r) => r.public).map((r) => `${r.method} ${r.url}`).sort()).toEqual(['GET /*', 'GET /api/health', 'HEAD /*', 'HEAD /api/health']);
    expect(routes.filter((r) => r.websocket).map((r) => r.url).sort()).toEqual(['/sessions/:device/:id/playwright', '/sessions/:device/:id/vnc']);
  });

  it('refuses every non-public route, in every spelling, without a token, with a wrong one or with the update secret', async () => {
    const wrong: string[] = [];
    await runTable(port, routes, [NONE, WRONG, UPDATE], params, (c) => {
      cases.push(c);
      if (c.response.body.includes(dir.path)) wrong.push(`leaks a server path: ${describeCase(c)}`);
      if (c.response.status >= 500) wrong.push(describeCase(c));
      else if (c.credential === UPDATE && updateRoute(c.route)) return;
      else if (!c.route.public && !REFUSED.has(c.response.status)) wrong.push(describeCase(c));
    });
    expect(wrong).toEqual([]);
  });

  it('lets the admin token through on every route, in every spelling', async () => {
    const wrong: string[] = [];
    await runTable(port, routes, [RIGHT], params, (c) => {
      cases.push(c);
      if (c.response.body.includes(dir.path)) wrong.push(`leaks a server path: ${describeCase(c)}`);
      if (c.response.status === 401 || c.response.status === 500) wrong.push(describeCase(c));
    });
    expect(wrong).toEqual([]);
  });

  it(`ran routes × ${SPELLINGS_PER_PATH} spellings × 4 credentials`, () => {
    expect(cases).toHaveLength(routes.length * SPELLINGS_PER_PATH * 4);
    process.stdout.write(`fleet route table: ${routes.length} routes × ${SPELLINGS_PER_PATH} spellings × 4 credentials = ${cases.length} cases\n`);
    const refused = cases.filter((c) => !c.route.public && c.credential !== RIGHT);
    process.stdout.write(`  answers without the right token on non-public routes: ${statusHistogram(refused)}\n  with it: ${statusHistogram(cases.filter((c) => c.credential === RIGHT))}\n`);
  });
});
