// Pages on other sites cannot act on the service (DESIGN.md, "Security"), with or without a token:
// a page that a session opens must not end sessions, make them, or drive another session's browser.
// Browsers say where a request comes from, and this guard believes them:
// - Fetch Metadata (Sec-Fetch-Site, -Mode, -Dest, -User) on every request of current browsers. A
//   page on 127.0.0.1:<another port> is "same-site" to the appliance (sites ignore ports), so
//   same-site is refused like cross-site. Only top-level navigations to routes that allow them
//   (the UI's pages, /access when the user clicked) get through: a link must keep working.
// - Origin on websocket handshakes, compared with the service's own origin (scheme, host and
//   port of the Host header) or the configured public URL.
// - Origin on requests other than GET/HEAD when a browser sends no Fetch Metadata (older ones).
// Clients that are not browsers send none of these headers and are not affected: curl, Playwright
// and puppeteer clients, node, and the fleet monitor, which forwards none of them to a device
// (fleet/src/api/session-routes.ts). Held by cross-site.test.ts and cross-site.int.test.ts.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { CrossSiteRequestError, HostNotAllowedError } from '../errors.js';

export interface RequestSource {
  method: string;
  websocket: boolean;
  site: string | undefined;
  mode: string | undefined;
  dest: string | undefined;
  user: string | undefined;
  origin: string | undefined;
  /** What the matched route allows (route-access.ts); undefined: nothing from another site. */
  navigation: 'any' | 'user-activated' | undefined;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

function allowedNavigation(r: RequestSource): boolean {
  if (!SAFE_METHODS.has(r.method) || r.websocket) return false;
  // A frame, an object or a form post is not a navigation the user makes to this service.
  if (r.mode !== 'navigate' || r.dest !== 'document') return false;
  if (r.navigation === 'any') return true;
  return r.navigation === 'user-activated' && r.user === '?1';
}

/**
 * Why a request is refused, or null when it may go on. `isOwnOrigin` is asked only when an
 * Origin has to be checked, so the common request (no such header) costs nothing more.
 */
export function crossSiteRefusal(r: RequestSource, isOwnOrigin: (origin: string) => boolean): string | null {
  const site = r.site?.toLowerCase();
  if ((site === 'cross-site' || site === 'same-site') && !allowedNavigation(r)) {
    return `a ${r.websocket ? 'websocket' : `${r.method} (${r.mode ?? 'no mode'}, ${r.dest ?? 'no destination'})`} from another site (Sec-Fetch-Site: ${site})`;
  }
  const checkOrigin = r.websocket || (site === undefined && !SAFE_METHODS.has(r.method));
  if (checkOrigin && r.origin !== undefined && !isOwnOrigin(r.origin)) {
    return `a ${r.websocket ? 'websocket' : r.method} from another site (Origin: ${JSON.stringify(r.origin.slice(0, 200))})`;
  }
  return null;
}

/** scheme://host[:port] as browsers write it, or null for an opaque origin ("null") or garbage. */
export function normalizeOrigin(origin: string): string | null {
  try {
    const o = new URL(origin).origin;
    return o === 'null' ? null : o;
  } catch {
    return null;
  }
}

export interface CrossSiteOptions {
  /** The URL browsers use when a proxy changes the scheme or host (OUTPOST_PUBLIC_URL, OUTPOST_FLEET_PUBLIC_URL). */
  publicUrl?: string;
}

/** Install after the websocket plugin (it marks req.ws) and before auth: a refusal says why. */
export function installCrossSiteGuard(app: FastifyInstance, opts: CrossSiteOptions = {}): void {
  const configured = opts.publicUrl ? normalizeOrigin(opts.publicUrl) : null;
  app.addHook('onRequest', (req, _reply, done) => {
    const source: RequestSource = {
      method: req.method,
      websocket: req.ws,
      site: header(req, 'sec-fetch-site'),
      mode: header(req, 'sec-fetch-mode'),
      dest: header(req, 'sec-fetch-dest'),
      user: header(req, 'sec-fetch-user'),
      origin: header(req, 'origin'),
      navigation: req.routeOptions.config?.crossSiteNavigation,
    };
    const isOwnOrigin = (origin: string) => {
      const o = normalizeOrigin(origin);
      return o !== null && (o === configured || o === normalizeOrigin(`${req.protocol}://${req.host}`));
    };
    const why = crossSiteRefusal(source, isOwnOrigin);
    if (why) done(new CrossSiteRequestError(why));
    else done();
  });
}

/** The host name of a Host header value (no port, IPv6 brackets kept), lowercased. */
function hostName(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

export function isLoopbackName(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost') || name === '[::1]' || /^127(\.\d{1,3}){3}$/.test(name);
}

/**
 * Without a token a service listens on loopback only and serves whoever can reach it there. A page
 * on any site could still reach it through DNS rebinding (its own name re-resolved to 127.0.0.1),
 * and to the browser that page would then be same-origin, past the guard above. So a token-less
 * service answers only to loopback names and its configured public URL (cross-site.test.ts,
 * "DNS rebinding"). With a token, the token decides.
 */
export function installLoopbackHostGuard(app: FastifyInstance, opts: CrossSiteOptions = {}): void {
  const publicName = opts.publicUrl ? new URL(opts.publicUrl).hostname.toLowerCase() : null;
  app.addHook('onRequest', (req, _reply, done) => {
    const host = req.headers.host ?? '';
    const name = hostName(host);
    if (isLoopbackName(name) || name === publicName || `[${name}]` === publicName) done();
    else done(new HostNotAllowedError(host));
  });
}
