// The device appliance as a Fastify app. Boot order, in one place: external plugins, our services,
// then routes (STYLE.md rule 2).
import websocket from '@fastify/websocket';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import type { DeviceConfig } from './config.js';
import dockerPlugin from './docker/docker-plugin.js';
import type { DockerClient } from './docker/docker-client.js';
import hostPlugin from './host/host-plugin.js';
import { registerApiDocs } from './shared/http/api-docs.js';
import { installBearerAuth } from './shared/http/auth.js';
import { installCrossSiteGuard, installLoopbackHostGuard } from './shared/http/cross-site.js';
import { errorHandler } from './shared/http/http-errors.js';
import { QuietLogController, loggerOptions } from './shared/http/logging.js';
import { installRouteCatalog, installUpgradeGuard } from './shared/http/route-access.js';
import { installSecurityHeaders } from './shared/http/security-headers.js';
import { registerStaticUi } from './shared/http/static-ui.js';
import { validatorCompiler } from './shared/http/validation.js';
import { acceptEmptyJsonBodies } from './shared/http/lenient-json.js';
import metricsPlugin from './metrics/metrics-plugin.js';
import metricsRoutes from './metrics/metrics-routes.js';
import { webDir } from './shared/paths.js';
import payloadPlugin from './payload/payload-plugin.js';
import payloadRoutes from './payload/payload-routes.js';
import compatRoutes from './sessions/compat-routes.js';
import type { SessionBackend } from './sessions/backends/session-backend.js';
import sessionPlugin from './sessions/session-plugin.js';
import cdpRoutes from './sessions/cdp-routes.js';
import connectRoutes from './sessions/connect-routes.js';
import webdriverPlugin from './webdriver/webdriver-plugin.js';
import webdriverRoutes from './webdriver/webdriver-routes.js';
import drainRoutes from './sessions/drain-routes.js';
import profileRoutes from './sessions/profile-routes.js';
import artifactRoutes from './sessions/artifact-routes.js';
import readyRoutes from './sessions/ready-routes.js';
import sessionRoutes from './sessions/session-routes.js';
import statusPlugin from './status/status-plugin.js';
import statusRoutes from './status/status-routes.js';

export interface BuildOptions {
  /** Inject a Docker client (tests); by default one is made from config.dockerSocket. */
  docker?: DockerClient;
  /** Serve the web UI from here instead of dist/web/device. */
  webRoot?: string;
  /** A session backend other than the default for config.backend (tests). */
  sessionBackend?: SessionBackend;
}

/**
 * Compatibility routes of the Docker VNC orchestrator live at the root, so they are API paths too.
 * These paths only keep API-looking URLs out of the UI's index.html fallback; who may reach a route
 * is decided on the matched route (http/route-access.ts), never on a path prefix.
 */
const COMPAT_PATHS = new Set(['/access', '/status', '/remove', '/remove-all', '/health']);

export function isApiPath(path: string): boolean {
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
    path === '/session' ||
    path.startsWith('/session/') ||
    COMPAT_PATHS.has(path)
  );
}

const DEVICE_API_DESCRIPTION =
  'The browser-session appliance: sessions (Playwright and VNC websockets through this port), the warm pool, the drain, the payload container, ' +
  'the fleet status contract, Prometheus metrics, and the Docker VNC orchestrator\'s compatibility routes. ' +
  'With OUTPOST_API_TOKEN set, every route but the public ones needs `Authorization: Bearer <token>`.';

export async function buildApp(config: DeviceConfig, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(config.logLevel, 'outpost-device'),
    logController: new QuietLogController(),
    bodyLimit: 256 * 1024,
    // Longer than the fleet's poll interval, so its keep-alive socket is still open at the next poll.
    keepAliveTimeout: 72_000,
    forceCloseConnections: true,
    // Closing ends every session (containers included); that may take longer than the default 10 s.
    pluginTimeout: 60_000,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  acceptEmptyJsonBodies(app);
  app.setErrorHandler(errorHandler);
  installRouteCatalog(app);

  // External plugins
  await app.register(websocket, { options: { maxPayload: 64 * 1024 * 1024 } });
  // Who may ask what (DESIGN.md, "Security"), decided on the route the router matched. After the
  // websocket plugin: its onRequest hook must mark upgrade requests first, so that a refused
  // upgrade has its socket closed instead of left open by the client. In this order: headers on
  // every answer, pages of other sites refused, the token, upgrades to websocket routes only.
  installSecurityHeaders(app);
  installCrossSiteGuard(app, { publicUrl: config.publicUrl });
  if ((config.apiToken ?? config.fleetToken) === undefined) installLoopbackHostGuard(app, { publicUrl: config.publicUrl });
  installBearerAuth(app, { token: config.apiToken ?? config.fleetToken, alsoAccept: [config.fleetToken] });
  installUpgradeGuard(app);
  // OpenAPI at /docs/json and its UI at /docs, closed like the API; before any route, so that
  // every route is in the document.
  await registerApiDocs(app, { title: 'Outpost device appliance', version: config.version, description: DEVICE_API_DESCRIPTION });

  // Our services
  await app.register(dockerPlugin, { socketPath: config.dockerSocket, client: opts.docker });
  await app.register(hostPlugin, { refreshS: config.hostRefreshS });
  await app.register(payloadPlugin, { name: config.payloadContainer, refreshS: config.hostRefreshS });
  await app.register(statusPlugin, {
    config,
    startedAt: new Date(),
    sessions: (instance) => ({ ...instance.sessionManager.summary(), counters: instance.sessionCounters.view() }),
    drain: (instance) => instance.drain.view(),
  });
  await app.register(metricsPlugin);
  await app.register(sessionPlugin, { config, backend: opts.sessionBackend });
  await app.register(webdriverPlugin, { config });

  // Routes
  await app.register(statusRoutes, { version: config.version });
  await app.register(metricsRoutes);
  await app.register(payloadRoutes);
  await app.register(sessionRoutes, { backend: config.backend, publicUrl: config.publicUrl });
  await app.register(cdpRoutes, { publicUrl: config.publicUrl });
  await app.register(connectRoutes);
  // WebDriver at /wd/hub, and at the root for clients that use the W3C paths (/status there is the
  // orchestrator's: the root has none of its own).
  await app.register(webdriverRoutes, { prefix: '/wd/hub', status: true, version: config.version, publicUrl: config.publicUrl });
  await app.register(webdriverRoutes, { prefix: '', status: false, version: config.version, publicUrl: config.publicUrl });
  await app.register(compatRoutes, { publicUrl: config.publicUrl });
  await app.register(drainRoutes);
  await app.register(profileRoutes, { dataDir: config.dataDir });
  await app.register(artifactRoutes);
  await app.register(readyRoutes, { version: config.version });
  await registerStaticUi(app, { root: opts.webRoot ?? webDir('device'), isApiPath });

  return app;
}
