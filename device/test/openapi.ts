// Checks of a service's OpenAPI document (/docs/json) against the routes the app itself reports
// (app.routeCatalog()), for device/src/api-docs.test.ts and fleet/src/api-docs.test.ts.
import { Validator } from '@seriousme/openapi-schema-validator';
import { DOCS_PREFIX } from '../src/shared/http/api-docs.js';
import type { CatalogRoute } from '../src/shared/http/route-access.js';

interface Operation {
  security?: unknown[];
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}
export interface OpenApiDocument {
  openapi: string;
  security?: unknown[];
  paths: Record<string, Record<string, Operation>>;
}

/** What the OpenAPI JSON schema of the document's version says is wrong with it ([] when valid). */
export async function schemaErrors(doc: unknown): Promise<string[]> {
  const validator = new Validator();
  const res = await validator.validate(structuredClone(doc) as Record<string, unknown>);
  if (res.valid) return [];
  return (Array.isArray(res.errors) ? res.errors : [res.errors]).map((e) => (typeof e === 'string' ? e : JSON.stringify(e)));
}

/** The UI's files and pages (static-ui.ts) and the docs themselves are not part of the API. */
export function isApiRoute(r: CatalogRoute): boolean {
  const ui = r.public && r.crossSiteNavigation === 'any';
  const docs = r.url === DOCS_PREFIX || r.url.startsWith(`${DOCS_PREFIX}/`);
  return !ui && !docs;
}

/** `/api/sessions/:id` as OpenAPI writes it: `/api/sessions/{id}` (and a trailing wildcard `{*}`). */
export function openApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}').replace(/\/\*$/, '/{*}');
}

/**
 * Every way the document and the app disagree: an API route (in every method) the document does
 * not list, an operation no route serves, an operation without a response schema, a public route
 * that asks for the token or a closed one that does not. Fastify adds a HEAD route for every GET;
 * the GET's operation documents it.
 */
export function documentProblems(doc: OpenApiDocument, catalog: CatalogRoute[]): string[] {
  const problems: string[] = [];
  const api = catalog.filter(isApiRoute);
  const served = new Set(api.map((r) => `${r.method.toLowerCase()} ${openApiPath(r.url)}`));
  for (const r of api) {
    const ops = doc.paths[openApiPath(r.url)] ?? {};
    const method = r.method.toLowerCase();
    const op = ops[method] ?? (method === 'head' ? ops.get : undefined);
    if (!op) {
      problems.push(`${r.method} ${r.url}: not in the document`);
      continue;
    }
    const security = op.security ?? doc.security ?? [];
    if (r.public && security.length > 0) problems.push(`${r.method} ${r.url}: public, but the document asks for a token`);
    if (!r.public && security.length === 0) problems.push(`${r.method} ${r.url}: needs the token, but the document says it does not`);
  }
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!served.has(`${method} ${path}`)) problems.push(`${method.toUpperCase()} ${path}: documented, but no route serves it`);
      const schemas = Object.values(op.responses ?? {}).flatMap((res) => Object.values(res.content ?? {}).filter((media) => media.schema !== undefined));
      if (schemas.length === 0) problems.push(`${method.toUpperCase()} ${path}: no response schema`);
    }
  }
  return problems;
}
