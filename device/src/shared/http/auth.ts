// Bearer-token auth shared by the device and the fleet monitor (DESIGN.md, "Security"). Closed by
// default: a route is reachable without the token only if it says so (route-access.ts), and that
// is read from the route the router matched, never from the URL as sent. Held for every route in
// every spelling by route-access.test.ts and fleet-route-access.test.ts.
// Browsers cannot set headers on a WebSocket, so a websocket upgrade may carry the token as
// ?access_token=… (or ?token=…, the spelling browserless taught connect-and-go clients); so may a
// route that says `queryToken` (the recordings: a <video> element cannot send a header either).
// The request serializer in logging.ts keeps both out of the logs.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../errors.js';
import { isPublicRoute } from './route-access.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** Query parameters that carry the token on a websocket upgrade or a `queryToken` route. */
const TOKEN_QUERY_KEYS = ['access_token', 'token'] as const;

export function presentedToken(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (bearer) return bearer[1];
    // Basic is looked at only where the route takes it: user:password, the token being the password.
    if (req.routeOptions.config?.basicAuth !== true) return undefined;
    const basic = /^Basic\s+([A-Za-z0-9+/]+={0,2})\s*$/i.exec(header);
    if (!basic) return undefined;
    const pair = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = pair.indexOf(':');
    return colon === -1 ? undefined : pair.slice(colon + 1) || undefined;
  }
  if (req.headers.upgrade?.toLowerCase() === 'websocket' || req.routeOptions.config?.queryToken === true) {
    const query = req.query as Record<string, unknown> | undefined;
    for (const key of TOKEN_QUERY_KEYS) {
      const token = query?.[key];
      if (typeof token === 'string' && token !== '') return token;
    }
  }
  return undefined;
}

export interface AuthOptions {
  token: string | undefined;
  /** Who holds `token`, for tokenNameOf() (default "admin"). */
  tokenName?: string;
  /**
   * More tokens, each with the name of who holds it (the fleet monitor's OUTPOST_FLEET_TOKENS_FILE):
   * accepted where `token` is, and tokenNameOf() says whose it was.
   */
  named?: ReadonlyArray<{ name: string; token: string }>;
  /** Further tokens accepted everywhere the main one is (the fleet monitor's, on a device). */
  alsoAccept?: Array<string | undefined>;
  /**
   * One more way in besides the tokens, asked about the matched route (the fleet's device update
   * credentials, which open the update routes only: fleet/src/updates/update-auth.ts).
   */
  alsoAllow?: (req: FastifyRequest) => boolean;
}

const tokenNames = new WeakMap<FastifyRequest, string>();

/** The name of the token a request passed auth with (AuthOptions.tokenName or named); undefined without one. */
export function tokenNameOf(req: FastifyRequest): string | undefined {
  return tokenNames.get(req);
}

/**
 * Adds an onRequest hook to the root instance, so it covers every route, 404s included (a 404 has
 * no route that says it is public). Install after the websocket plugin: its own onRequest hook
 * must mark upgrade requests first, so that a refused upgrade (401) has its socket closed.
 * Tokens are compared in constant time: both sides are SHA-256 digests, so lengths never differ and
 * the time taken says nothing about how much of a token matched.
 */
export function installBearerAuth(app: FastifyInstance, opts: AuthOptions): void {
  if (opts.token === undefined) return;
  const known = [
    { name: opts.tokenName ?? 'admin', token: opts.token },
    ...(opts.named ?? []),
    ...(opts.alsoAccept ?? []).filter((t): t is string => t !== undefined).map((token) => ({ name: undefined, token })),
  ].map((t) => ({ name: t.name, want: digest(t.token) }));
  /** Whose token was presented: a name, '' for an unnamed one, undefined for none that is known. */
  const holder = (presented: string | undefined): string | undefined => {
    if (presented === undefined) return undefined;
    const got = digest(presented);
    for (const k of known) if (timingSafeEqual(k.want, got)) return k.name ?? '';
    return undefined;
  };
  // Callback style, not async: this runs on every request and a promise per call is measurable.
  app.addHook('onRequest', (req, _reply, done) => {
    if (isPublicRoute(req)) return done();
    const name = holder(presentedToken(req));
    if (name !== undefined) {
      if (name !== '') tokenNames.set(req, name);
      done();
    } else if (opts.alsoAllow?.(req) === true) done();
    else done(new UnauthorizedError());
  });
}

function decodedKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}

/**
 * The URL with the value of every query parameter whose key decodes to access_token or token replaced. The
 * query parser decodes keys, so `?%61ccess_token=` is a token to presentedToken() and must be one
 * here too (logging.test.ts).
 */
export function stripAccessToken(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const hash = url.indexOf('#', q);
  const query = url.slice(q + 1, hash === -1 ? undefined : hash);
  const redacted = query
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      const key = eq === -1 ? part : part.slice(0, eq);
      return (TOKEN_QUERY_KEYS as readonly string[]).includes(decodedKey(key)) ? `${key}=[redacted]` : part;
    })
    .join('&');
  return `${url.slice(0, q + 1)}${redacted}${hash === -1 ? '' : url.slice(hash)}`;
}
