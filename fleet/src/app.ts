// The fleet monitor as a Fastify app. Boot order: external plugins, services, routes.
import websocket from '@fastify/websocket';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { installBearerAuth } from '../../device/src/http/auth.js';
import { errorHandler } from '../../device/src/http/http-errors.js';
import { QuietLogController, loggerOptions } from '../../device/src/http/logging.js';
import { registerStaticUi } from '../../device/src/http/static-ui.js';
import { validatorCompiler } from '../../device/src/http/validation.js';
import { webDir } from '../../device/src/paths.js';
import alertRoutes from './api/alert-routes.js';
import deviceRoutes from './api/device-routes.js';
import metricsRoutes from './api/metrics-routes.js';
import sessionRoutes from './api/session-routes.js';
import type { FleetConfig } from './config.js';
import fleetPlugin from './fleet-plugin.js';
import { installUpdateAuth } from './updates/update-auth.js';
import updateRoutes from './updates/update-routes.js';

export interface FleetBuildOptions {
  webRoot?: string;
  autoStart?: boolean;
}

export function isFleetApiPath(path: string): boolean {
  return path.startsWith('/api/') || path === '/api' || path === '/metrics' || path.startsWith('/sessions/') || path.startsWith('/releases/');
}

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
  app.setErrorHandler(errorHandler);

  // External plugins
  await app.register(websocket, { options: { maxPayload: 64 * 1024 * 1024 } });
  // Devices hold the update token, which opens only the update endpoints.
  const updateTokenAccepted = installUpdateAuth(app, { adminToken: config.token, updateToken: config.updates.token });
  installBearerAuth(app, {
    token: config.token,
    isPublic: (req) => {
      const path = req.url.split('?')[0] ?? '/';
      return path === '/api/health' || !isFleetApiPath(path) || updateTokenAccepted(req);
    },
  });

  // Services
  await app.register(fleetPlugin, { config, autoStart: opts.autoStart });

  // Routes
  app.get('/api/health', async () => ({ status: 'ok', version: config.version }));
  await app.register(deviceRoutes, { targetVersion: () => app.fleet.targetVersion() });
  await app.register(alertRoutes);
  await app.register(sessionRoutes);
  await app.register(metricsRoutes);
  await app.register(updateRoutes);
  await registerStaticUi(app, { root: opts.webRoot ?? webDir('fleet'), isApiPath: isFleetApiPath });
  return app;
}
