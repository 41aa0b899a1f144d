// The WebDriver sessions of the appliance (webdriver-sessions.ts), for the routes at /wd/hub and
// at the W3C root; their chromedrivers are stopped when the app closes, before the sessions end.
import fp from 'fastify-plugin';
import type { DeviceConfig } from '../config.js';
import { ownerKey } from '../sessions/backends/owned-processes.js';
import { createSessionBody } from '../shared/session-schemas.js';
import { createWebDriverSessions, type WebDriverSessions } from './webdriver-sessions.js';

declare module 'fastify' {
  interface FastifyInstance {
    webdriver: WebDriverSessions;
  }
}

export default fp<{ config: DeviceConfig }>(
  async (app, { config }) => {
    const sessions = createWebDriverSessions({
      manager: app.sessionManager,
      chromedriverPath: config.chromedriverPath,
      ownerKey: ownerKey(config.dataDir),
      sessionSchema: createSessionBody(app.sessionManager.limits),
      onSessionEnded: (listener) => app.onSessionEnded(listener),
      log: app.log.child({ module: 'webdriver' }),
    });
    app.decorate('webdriver', sessions);
    app.addHook('preClose', () => sessions.close());
  },
  { name: 'webdriver', dependencies: ['sessions'] },
);
