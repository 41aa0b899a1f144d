// Serves a built web app (dist/web/<app>) from the service's own port, with a fallback to
// index.html for client-side routes. API paths never fall back: they get a JSON 404.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendNotFound } from './http-errors.js';

export interface StaticUiOptions {
  root: string;
  /** Paths that belong to the API (JSON 404s, never index.html). */
  isApiPath: (path: string) => boolean;
}

const MISSING_UI = `<!doctype html><meta charset="utf-8"><title>Outpost</title>
<body style="font-family:sans-serif;margin:3rem"><h1>Outpost</h1>
<p>The web UI is not built. Run <code>npm run build</code> (or <code>npm start</code>, which builds it).</p>
<p>The API is up: <a href="/api/health">/api/health</a>.</p></body>`;

export async function registerStaticUi(app: FastifyInstance, opts: StaticUiOptions): Promise<void> {
  const built = existsSync(join(opts.root, 'index.html'));
  if (built) {
    await app.register(fastifyStatic, {
      root: opts.root,
      prefix: '/',
      index: ['index.html'],
      redirect: true,
      // Hashed asset names never change content; index.html must always be revalidated.
      setHeaders(reply, path) {
        reply.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  }
  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    const path = req.url.split('?')[0] ?? '/';
    const wantsHtml = (req.method === 'GET' || req.method === 'HEAD') && !opts.isApiPath(path) && !/\.[a-z0-9]{1,8}$/i.test(path);
    if (!wantsHtml) return sendNotFound(req, reply);
    if (!built) return reply.code(200).type('text/html; charset=utf-8').send(MISSING_UI);
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').sendFile('index.html');
  });
}
