// Device update credentials: what devices hold instead of the fleet API token. Each device has its
// own (device-credential.ts, derived from OUTPOST_FLEET_UPDATE_TOKEN, which itself opens nothing);
// it opens only what scripts/update.sh needs — release downloads, its own manifest and its own
// report (update-routes.ts checks the device) — and nothing else. The admin token opens those too.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { presentedToken, UnauthorizedError } from '../../../device/src/shared/index.js';
import { createDeviceCredentials } from './device-credential.js';

/**
 * Decided on the route the router matched (onRequest runs after routing), not on the raw URL, so
 * no spelling of a path (encoded slashes, dot segments, double slashes) can reach another route.
 * Held by update-routes.int.test.ts ("the update token opens only the update endpoints").
 */
export function isUpdateRoute(req: FastifyRequest): boolean {
  const route = req.routeOptions.url;
  const m = req.method;
  if (route === '/releases/:file') return m === 'GET' || m === 'HEAD';
  if (route === '/api/channels/:channel/manifest') return m === 'GET' || m === 'HEAD';
  if (route === '/api/updates/report') return m === 'POST';
  return false;
}

/**
 * Returns "this request may pass on a device update credential", for the fleet API auth's alsoAllow. With no
 * fleet API token there is no auth hook to consult it, so the update endpoints get their own.
 */
export function installUpdateAuth(app: FastifyInstance, opts: { adminToken: string | undefined; updateToken: string | undefined }): (req: FastifyRequest) => boolean {
  if (opts.updateToken === undefined) return () => false;
  const credentials = createDeviceCredentials(opts.updateToken);
  const matches = (presented: string | undefined) => credentials.deviceOf(presented) !== null;
  const accepts = (req: FastifyRequest) => isUpdateRoute(req) && matches(presentedToken(req));
  if (opts.adminToken === undefined) {
    app.addHook('onRequest', (req, _reply, done) => {
      if (!isUpdateRoute(req) || matches(presentedToken(req))) done();
      else done(new UnauthorizedError());
    });
  }
  return accepts;
}
