// OpenAPI 3 for both services, made from the route schemas (@fastify/swagger), and Swagger UI
// (@fastify/swagger-ui): the page at /docs, the document at /docs/json (and /docs/yaml). Nothing
// here is public: the docs routes say nothing about access, so they need the bearer token like
// every other route (route-access.ts), and a browser reaches the page only where the service has
// no token (loopback) or where the browser sends the header. Held by api-docs.test.ts (the
// document) and by device-route-access.test.ts and fleet-route-access.test.ts (the routes are in
// the tables); the page working under the UI's Content-Security-Policy by
// web/device/docs-ui.int.test.ts in a real browser.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { uiContentSecurityPolicy } from './security-headers.js';

export const DOCS_PREFIX = '/docs';

export interface ApiDocsOptions {
  title: string;
  version: string;
  description: string;
}

/**
 * The tag a route is listed under in the UI: the first segment after /api/ (`/api/sessions/:id` →
 * sessions), else the first segment (`/sessions/:id/vnc` → sessions, `/metrics` → metrics).
 */
export function tagOf(url: string): string {
  const segments = url.split('/').filter((s) => s !== '');
  const [first = '', second] = segments;
  return first === 'api' && second !== undefined ? second : first;
}

const BEARER = 'bearerAuth';

/**
 * What the document says about a route besides its schema: its tag, whether it needs the token
 * (public routes say `security: []`), and for a websocket route that it is an upgrade. Read when
 * the document is made, from the route's final config (route-access.ts marks websockets in it).
 * The websocket plugin hides its routes (a plain GET there is a 404); they are part of the API,
 * so the document lists them, with the 101 that a plain request never gets.
 */
function describeRoute(route: RouteOptions): Record<string, unknown> {
  const schema = (route.schema ?? {}) as Record<string, unknown>;
  const described: Record<string, unknown> = {
    ...schema,
    tags: (schema.tags as string[] | undefined) ?? [tagOf(route.url)],
    ...(route.config?.public === true ? { security: [] } : {}),
  };
  if (route.config?.websocket === true) {
    described.hide = false;
    described.description = [
      'WebSocket: an upgrade request (`Connection: Upgrade`, `Upgrade: websocket`). Browsers cannot set headers on a websocket, so the token may be given as `?access_token=` here.',
      schema.description,
    ]
      .filter(Boolean)
      .join(' ');
    described.response = { 101: { description: 'Switching Protocols: the websocket is open', type: 'null' }, ...(schema.response as object | undefined) };
  } else if (route.config?.queryToken === true) {
    described.description = ['A video element cannot send headers, so the token may be given as `?access_token=` here.', schema.description].filter(Boolean).join(' ');
  }
  return described;
}

/** A response schema for a text body (Fastify sends a string as it is; this only documents it). */
export function textResponse(mediaType: string, description: string) {
  return { description, content: { [mediaType]: { schema: { type: 'string' } } } } as const;
}

/**
 * Registers the document and the UI. Call before any route of the app is added (the document is
 * made from the routes @fastify/swagger sees added), and after the access hooks, which cover the
 * docs routes like any other.
 */
export async function registerApiDocs(app: FastifyInstance, opts: ApiDocsOptions): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: opts.title, version: opts.version, description: opts.description },
      components: {
        securitySchemes: {
          [BEARER]: {
            type: 'http',
            scheme: 'bearer',
            description: 'The service\'s API token (OUTPOST_API_TOKEN on a device, OUTPOST_FLEET_TOKEN on the monitor). Needed by every route but the public ones (security: []) when the service has a token.',
          },
        },
      },
      security: [{ [BEARER]: [] }],
    },
    transform: ({ route, url }) => ({ schema: describeRoute(route) as never, url }),
  });
  await app.register(swaggerUi, {
    routePrefix: DOCS_PREFIX,
    // The UI pages' own policy: Swagger UI runs no inline script or style, and calls the API on
    // this origin only ('self'). Without it the page would go out with no policy at all.
    staticCSP: uiContentSecurityPolicy({ framable: false }),
    // BaseLayout: no top bar. The top bar's only use is loading another document by URL, and its
    // logo is an SVG with an inline <style> that the policy above refuses (docs-ui.int.test.ts).
    uiConfig: { deepLinking: true, layout: 'BaseLayout' },
  });
}
