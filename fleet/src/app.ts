// The fleet monitor as a Fastify app. Boot order: external plugins, services, routes.
import multipart from '@fastify/multipart';
import websocket from '@fastify/websocket';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { acceptEmptyJsonBodies, errorHandler, HealthResponse, registerApiDocs, installBearerAuth, installCrossSiteGuard, installLoopbackHostGuard, installRouteCatalog, installSecurityHeaders, installUpgradeGuard, loggerOptions, QuietLogController, registerStaticUi, validatorCompiler, webDir } from '../../device/src/shared/index.js';
import alertRoutes from './api/alert-routes.js';
import deviceRoutes from './api/device-routes.js';
import metricsRoutes from './api/metrics-routes.js';
import monitorRoutes from './api/monitor-routes.js';
import connectRoutes from './api/connect-routes.js';
import webdriverRoutes from './api/webdriver-routes.js';
import sessionRoutes from './api/session-routes.js';
import artifactRoutes from './api/artifact-routes.js';
import type { FleetConfig } from './config.js';
import alertsPlugin from './plugins/alerts.js';
import clusterPlugin from './plugins/cluster.js';
import configPlugin from './plugins/config.js';
import deviceClientPlugin from './plugins/device-client.js';
import inventoryPlugin from './plugins/inventory.js';
import monitorPlugin from './plugins/monitor.js';
import registryPlugin from './plugins/registry.js';
import storePlugin from './plugins/store.js';
import updatesPlugin from './plugins/updates.js';
import { installUpdateAuth } from './updates/update-auth.js';
import releaseRoutes from './updates/release-routes.js';
import updateRoutes from './updates/update-routes.js';

export interface FleetBuildOptions {
  webRoot?: string;
  autoStart?: boolean;
}

/** Keeps API-looking URLs out of the UI's index.html fallback; access is decided on the matched route. */
export function isFleetApiPath(path: string): boolean {
  return (
    path.startsWith('/api/') ||
    path === '/api' ||
    path === '/metrics' ||
    path === '/docs' ||
    path.startsWith('/docs/') ||
    path.startsWith('/sessions/') ||
    path === '/playwright' ||
    path === '/cdp' ||
    path === '/wd/hub' ||
    path.startsWith('/wd/hub/') ||
    path.startsWith('/releases/')
  );
}

const FLEET_API_DESCRIPTION =
  'The fleet monitor: devices and their history, alerts, sessions across the fleet (the websockets relayed to the devices), ' +
  'the update server (releases, channel manifests, rollouts, update reports), Prometheus metrics and http_sd targets. ' +
  'With OUTPOST_FLEET_TOKEN set, every route but the public ones needs `Authorization: Bearer <token>`; a device\'s update credential opens the update routes only.';

export async function buildFleetApp(config: FleetConfig, opts: FleetBuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(config.logLevel, 'outpost-fleet'),
    logController: new QuietLogController(),
    bodyLimit: 1024 * 1024,
    forceCloseConnections: true,
    // Closing ends every session (containers included); that may take longer than the default 10 s.
    pluginTimeout: 60_000,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 300 },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  acceptEmptyJsonBodies(app);
  app.setErrorHandler(errorHandler);
  installRouteCatalog(app);

  // External plugins
  await app.register(websocket, { options: { maxPayload: 64 * 1024 * 1024 } });
  // Release uploads (release-routes.ts) are streamed part by part; the tarball's size is checked
  // there (a truncated file is refused, not an error thrown mid-stream).
  await app.register(multipart, {
    throwFileSizeLimit: false,
    limits: { fileSize: config.updates.releaseMaxBytes, files: 3, fields: 3, parts: 6, fieldSize: 4096, headerPairs: 100 },
  });
  // Who may ask what (DESIGN.md, "Security"), decided on the route the router matched, after the
  // websocket plugin (it marks upgrade requests first). In this order: headers on every answer,
  // pages of other sites refused, the token, upgrades to websocket routes only. Devices hold update
  // credentials, which open only the update endpoints (update-auth.ts).
  installSecurityHeaders(app);
  installCrossSiteGuard(app, { publicUrl: config.publicUrl });
  const updateCredentialAccepted = installUpdateAuth(app, { adminToken: config.token, updateToken: config.updates.token });
  if (config.token === undefined) installLoopbackHostGuard(app, { publicUrl: config.publicUrl });
  installBearerAuth(app, { token: config.token, named: config.namedTokens, alsoAllow: updateCredentialAccepted });
  installUpgradeGuard(app);
  // OpenAPI at /docs/json and its UI at /docs, closed like the API; before any route, so that
  // every route is in the document.
  await registerApiDocs(app, { title: 'Outpost fleet monitor', version: config.version, description: FLEET_API_DESCRIPTION });

  // Services, one plugin each (fleet/src/plugins), in dependency order; they close in reverse. One
  // that cannot start (a store from a newer release, an unusable inventory) closes the ones before
  // it, then the error stops the monitor (main.ts).
  try {
    await app.register(configPlugin, { config });
    await app.register(storePlugin);
    await app.register(registryPlugin);
    await app.register(clusterPlugin);
    await app.register(deviceClientPlugin);
    await app.register(alertsPlugin);
    await app.register(updatesPlugin);
    await app.register(monitorPlugin, { autoStart: opts.autoStart });
    await app.register(inventoryPlugin);
  } catch (err) {
    await app.close().catch(() => undefined);
    throw err;
  }

  // Routes
  // The one public API route: probes carry no token.
  app.get('/api/health', { config: { public: true }, schema: { response: { 200: HealthResponse } } }, async () => ({ status: 'ok' as const, version: config.version }));
  await app.register(deviceRoutes);
  await app.register(monitorRoutes);
  await app.register(alertRoutes);
  await app.register(sessionRoutes);
  await app.register(artifactRoutes);
  await app.register(connectRoutes);
  await app.register(webdriverRoutes, { prefix: '/wd/hub' });
  await app.register(metricsRoutes);
  await app.register(updateRoutes);
  await app.register(releaseRoutes);
  await registerStaticUi(app, { root: opts.webRoot ?? webDir('fleet'), isApiPath: isFleetApiPath });
  return app;
}
