// What a route says about who may reach it (DESIGN.md, "Security"), shared by the device and the
// fleet monitor. Access is declared on the route itself, in its `config`, and read back from the
// route the router matched (req.routeOptions.config): onRequest hooks run after routing, so no
// spelling of a URL (percent-encoding, a trailing slash, a fragment, dot segments) can be judged
// as one path while the router serves another. A route that says nothing is closed: it needs the
// token and refuses every request a browser marks as cross-site.
import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import { NotFoundError } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without the bearer token: only the health probe and the UI's files say so. */
    public?: boolean;
    /**
     * Pages on other sites may send the browser here as a top-level navigation (a link, a
     * bookmark page): 'any' for pages that change nothing, 'user-activated' when the navigation
     * does something (/access makes a session), so that a script cannot do it without the user.
     * Every other cross-site request is refused (cross-site.ts).
     */
    crossSiteNavigation?: 'any' | 'user-activated';
    /** Set from the route's `websocket: true` (by installRouteCatalog), read by the upgrade guard. */
    websocket?: boolean;
    /**
     * The token may also come as the password of HTTP Basic auth (the WebDriver routes: Selenium
     * and WebdriverIO clients put credentials in the server URL, `http://:<token>@host/wd/hub`).
     */
    basicAuth?: boolean;
    /**
     * The token may also come as ?access_token= (or ?token=) on a plain GET: the recording routes
     * only, because a <video> element, like a websocket, cannot send a header. Nothing else takes
     * a token in the URL (auth.ts).
     */
    queryToken?: boolean;
  }
  interface FastifyInstance {
    /** Every registered route with what it declares: for audits and route-access.test.ts. */
    routeCatalog(): CatalogRoute[];
  }
}

export interface CatalogRoute {
  method: string;
  url: string;
  public: boolean;
  websocket: boolean;
  crossSiteNavigation: 'any' | 'user-activated' | null;
  basicAuth: boolean;
  queryToken: boolean;
}

/** Route config of the UI's static files and client-side pages. */
export const UI_ROUTE = { public: true, crossSiteNavigation: 'any' } as const;

export function isPublicRoute(req: FastifyRequest): boolean {
  return req.routeOptions.config?.public === true;
}

/**
 * Records every route as it is added and marks websocket routes in their config. Must be installed
 * on the root instance before any route, so that routes of every plugin pass through it.
 */
export function installRouteCatalog(app: FastifyInstance): void {
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (opts) => {
    if (opts.websocket) opts.config = { ...opts.config, websocket: true };
    routes.push(opts);
  });
  // Read when asked, not when added: onRoute hooks of inner scopes (static-ui.ts marks its routes
  // public) run after this one, on the same options object.
  app.decorate('routeCatalog', () =>
    routes.flatMap((r) =>
      (Array.isArray(r.method) ? r.method : [r.method]).map((method) => ({
        method: String(method),
        url: r.url,
        public: r.config?.public === true,
        websocket: r.config?.websocket === true && method === 'GET',
        crossSiteNavigation: r.config?.crossSiteNavigation ?? null,
        basicAuth: r.config?.basicAuth === true,
        queryToken: r.config?.queryToken === true,
      })),
    ),
  );
}

/**
 * A websocket upgrade reaches only a websocket route. Without this, an upgrade whose path misses
 * every websocket route lands on the UI's catch-all and is upgraded (101) and then dropped, which
 * answers "yes" to a request that should be "no such thing". Install after the websocket plugin
 * (it marks req.ws in its own onRequest hook).
 */
export function installUpgradeGuard(app: FastifyInstance): void {
  app.addHook('onRequest', (req, _reply, done) => {
    if (req.ws && req.routeOptions.config?.websocket !== true) done(new NotFoundError('no websocket route at this path'));
    else done();
  });
}
