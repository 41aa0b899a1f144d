// Response headers that make the browser do its part (DESIGN.md, "Security"). Every response says
// nosniff (an API answer is never run as a script or a page) and sends no Referer onwards (the live
// view's password is in the fragment, which browsers never send, but a URL can carry more than we
// think). The UI pages add a Content-Security-Policy (uiContentSecurityPolicy, set by
// static-ui.ts). Held by security-headers.test.ts; the built UIs working under the policy, by
// web/device/csp-ui.int.test.ts and web/fleet/csp-ui.int.test.ts in a real browser.
import type { FastifyInstance } from 'fastify';

/**
 * The policy of the UI pages. Vite builds them with no inline script or style (React's `style`
 * props go through the CSSOM, which CSP does not restrict), so 'self' is enough everywhere:
 * - connect-src 'self' covers the websockets too (CSP 3: 'self' matches ws:/wss: of the same host
 *   and port), so no ws: or wss: wildcard is needed.
 * - img-src data: for noVNC, which draws the remote cursor from data: URLs.
 * - frame-ancestors: no page may frame the UI; the live view page may be framed by its own origin
 *   only (the device UI's Sessions page shows it in a frame).
 */
export function uiContentSecurityPolicy(opts: { framable: boolean }): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    `frame-ancestors ${opts.framable ? "'self'" : "'none'"}`,
  ].join('; ');
}

/** Install first among the onRequest hooks, so that refusals (401, 403) carry the headers too. */
export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onRequest', (_req, reply, done) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    done();
  });
}
