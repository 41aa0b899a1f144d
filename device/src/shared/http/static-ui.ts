// Serves a built web app (dist/web/<app>) from the service's own port, with a fallback to
// index.html for client-side routes. API paths never fall back, however they are spelled: they get
// a JSON 404. Every route here is public and may be linked from other sites (route-access.ts,
// UI_ROUTE); nothing here acts on anything. The pages carry the UI's Content-Security-Policy.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendNotFound } from './http-errors.js';
import { UI_ROUTE } from './route-access.js';
import { uiContentSecurityPolicy } from './security-headers.js';

export interface StaticUiOptions {
  root: string;
  /** Paths that belong to the API (JSON 404s, never index.html). */
  isApiPath: (path: string) => boolean;
}

/** Where both apps keep the live view page, the one page another page (of ours) may frame. */
const LIVE_VIEW_DIR = 'vnc';

const MISSING_UI = `<!doctype html><meta charset="utf-8"><title>Outpost</title>
<body><h1>Outpost</h1>
<p>The web UI is not built. Run <code>npm run build</code> (or <code>npm start</code>, which builds it).</p>
<p>The API is up: <a href="/api/health">/api/health</a>.</p></body>`;

/**
 * The path as the most lenient server would read it: without query, fragment or ;parameters,
 * decoded, dot segments resolved, slashes collapsed, lower-cased. Used only to keep API-looking
 * paths out of the fallback (/API/SESSIONS or /api%2Fsessions is a JSON 404, not the UI); never
 * to decide access.
 */
export function canonicalPath(url: string): string {
  const raw = url.split(/[?#;]/, 1)[0] || '/';
  let decoded = raw;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    // a malformed escape: judge the path as it is
  }
  try {
    return new URL(decoded.replace(/[\\/]+/g, '/'), 'http://x').pathname.toLowerCase();
  } catch {
    return decoded.toLowerCase();
  }
}

export async function registerStaticUi(app: FastifyInstance, opts: StaticUiOptions): Promise<void> {
  const index = join(opts.root, 'index.html');
  const built = existsSync(index);
  const page = uiContentSecurityPolicy({ framable: false });
  const liveView = uiContentSecurityPolicy({ framable: true });
  const wantsPage = (req: FastifyRequest) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const path = canonicalPath(req.url);
    return !opts.isApiPath(path) && !/\.[a-z0-9]{1,8}$/i.test(path);
  };

  // Its own scope, so that marking routes public and linkable applies to these routes only.
  await app.register(async (ui) => {
    ui.addHook('onRoute', (route) => {
      route.config = { ...route.config, ...UI_ROUTE };
    });
    if (built) {
      await ui.register(fastifyStatic, {
        root: opts.root,
        prefix: '/',
        index: ['index.html'],
        redirect: true,
        decorateReply: false,
        setHeaders(reply, path) {
          // Hashed asset names never change content; index.html must always be revalidated.
          reply.header('cache-control', path.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache');
          if (path.endsWith('.html')) {
            const framable = relative(opts.root, path).split(sep)[0] === LIVE_VIEW_DIR;
            reply.header('content-security-policy', framable ? liveView : page);
          }
        },
      });
    } else {
      ui.get('/*', (req, reply) => {
        if (!wantsPage(req)) return sendNotFound(req, reply);
        return reply.type('text/html; charset=utf-8').header('content-security-policy', page).send(MISSING_UI);
      });
    }
  });

  // Reached when the file server has no such file (and for other methods no route takes).
  app.setNotFoundHandler(async (req: FastifyRequest, reply: FastifyReply) => {
    if (!built || !wantsPage(req)) return sendNotFound(req, reply);
    let html: Buffer;
    try {
      html = await readFile(index);
    } catch {
      return sendNotFound(req, reply);
    }
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').header('content-security-policy', page).send(html);
  });
}
