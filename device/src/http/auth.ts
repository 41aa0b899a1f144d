// Bearer-token auth shared by the device and the fleet monitor (DESIGN.md, "Security").
// Browsers cannot set headers on a WebSocket, so a websocket upgrade may carry the token as
// ?access_token=…; the request serializer in logging.ts keeps it out of the logs.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../errors.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * Constant-time comparison: both sides are SHA-256 digests, so lengths never differ and the time
 * taken says nothing about how much of the token matched.
 */
export function tokenMatcher(expected: string): (presented: string | undefined) => boolean {
  const want = digest(expected);
  return (presented) => presented !== undefined && timingSafeEqual(want, digest(presented));
}

export function presentedToken(req: FastifyRequest): string | undefined {
  const header = req.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1];
  }
  if (req.headers.upgrade?.toLowerCase() === 'websocket') {
    const query = req.query as Record<string, unknown> | undefined;
    const token = query?.access_token;
    if (typeof token === 'string' && token !== '') return token;
  }
  return undefined;
}

export interface AuthOptions {
  token: string | undefined;
  /** Further tokens accepted everywhere the main one is (the fleet monitor's, on a device). */
  alsoAccept?: Array<string | undefined>;
  /** Routes reachable without a token: the health probe and the static UI. */
  isPublic: (req: FastifyRequest) => boolean;
}

/** Adds an onRequest hook to the root instance, so it covers every route, 404s included. */
export function installBearerAuth(app: FastifyInstance, opts: AuthOptions): void {
  if (opts.token === undefined) return;
  const matchers = [opts.token, ...(opts.alsoAccept ?? [])].filter((t): t is string => t !== undefined).map(tokenMatcher);
  const matches = (presented: string | undefined) => matchers.some((m) => m(presented));
  // Callback style, not async: this runs on every request and a promise per call is measurable.
  app.addHook('onRequest', (req, _reply, done) => {
    if (opts.isPublic(req) || matches(presentedToken(req))) done();
    else done(new UnauthorizedError());
  });
}

export function stripAccessToken(url: string): string {
  return url.replace(/([?&]access_token=)[^&]*/g, '$1[redacted]');
}
