// The route × spelling × credential table behind route-access.test.ts (device) and
// fleet-route-access.test.ts: every route the app itself reports, sent in the spellings an attacker
// would try, over a real socket. app.inject() is no use here: it parses the URL with `new URL`,
// which resolves dot segments and drops fragments, so those spellings would never reach the server.
import { request, type IncomingHttpHeaders } from 'node:http';
import type { CatalogRoute } from '../src/shared/http/route-access.js';

export interface Spelling {
  name: string;
  path: string;
}

const encodeFirst = (segment: string) =>
  segment === '' ? segment : `%${segment.charCodeAt(0).toString(16).padStart(2, '0')}${segment.slice(1)}`;

/** The ways one path can be written so that a router and a naive check may disagree about it. */
export function spellings(path: string): Spelling[] {
  const segments = path.split('/').slice(1);
  const first = segments[0] ?? '';
  const rest = segments.slice(1).join('/');
  return [
    { name: 'as registered', path },
    { name: 'trailing slash', path: `${path}/` },
    { name: 'fragment', path: `${path}#frag` },
    { name: 'query string', path: `${path}?x=1` },
    { name: 'semicolon parameter', path: `${path};x=1` },
    { name: 'first letter percent-encoded', path: `/${encodeFirst(first)}${rest ? `/${rest}` : ''}` },
    { name: 'every segment percent-encoded', path: `/${segments.map(encodeFirst).join('/')}` },
    { name: 'encoded slash', path: rest ? `/${first}%2F${rest}` : `/%2F${first}` },
    { name: 'dot-dot segment', path: `/${first}/..${path}` },
    { name: 'encoded dot-dot segment', path: `/${first}/%2e%2e${path}` },
    { name: 'dot segment', path: `/.${path}` },
    { name: 'doubled slashes', path: path.replace(/\//g, '//') },
    { name: 'upper case', path: path.toUpperCase() },
    { name: 'absolute form', path: `http://evil.test${path}` },
    { name: 'backslashes', path: path.replace(/\//g, '\\') },
  ];
}

/** A route's URL with its parameters filled in (`:name` from params, `*` from params['*']). */
export function concretePath(url: string, params: (name: string) => string): string {
  return url.replace(/:([A-Za-z_]+)/g, (_m, name: string) => params(name)).replace(/\*$/, params('*'));
}

export interface RawResponse {
  status: number;
  body: string;
  headers: IncomingHttpHeaders;
}

/**
 * One request with the path exactly as given. A websocket route gets an upgrade request: a 101
 * answer counts as status 101 (the socket is closed at once).
 */
export function rawRequest(
  port: number,
  opts: { method: string; path: string; headers?: Record<string, string>; upgrade?: boolean; body?: string },
): Promise<RawResponse> {
  const upgradeHeaders = opts.upgrade
    ? { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' }
    : {};
  const bodyHeaders = opts.body === undefined ? {} : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(opts.body)) };
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method,
        path: opts.path,
        headers: { ...upgradeHeaders, ...bodyHeaders, ...opts.headers },
        // A connection per request: a server that refuses a request line closes the connection,
        // and a pooled one would turn the next case into a hang-up.
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
        res.on('error', (err) => resolve({ status: 0, body: `no answer: ${err.message}`, headers: {} }));
      },
    );
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 101, body: '', headers: res.headers });
    });
    // The server may close without answering (Node's parser refuses some request lines): that is a
    // refusal too, recorded as status 0.
    req.on('error', (err) => resolve({ status: 0, body: `no answer: ${err.message}`, headers: {} }));
    req.end(opts.body);
  });
}

/**
 * What a refused request may answer: 401; 404 when the spelling matches no route; 403 when the UI's
 * file server refuses a non-canonical path (dot segments, doubled slashes) before it looks at the
 * disk; 400, or no answer at all (0), when Node's HTTP parser refuses the request line
 * (backslashes). Never 101, 2xx, 3xx or 5xx.
 */
export const REFUSED = new Set([0, 400, 401, 403, 404]);

export interface Credential {
  name: string;
  headers: Record<string, string>;
  /** Added to the URL's query (`access_token=…`): the websocket and recording routes' way in. */
  query?: string;
}

/** `path` with `query` added to its query string (before a fragment, after a query it has). */
export function withQuery(path: string, query: string): string {
  const hash = path.indexOf('#');
  const [head, tail] = hash === -1 ? [path, ''] : [path.slice(0, hash), path.slice(hash)];
  return `${head}${head.includes('?') ? '&' : '?'}${query}${tail}`;
}

export interface TableCase {
  route: CatalogRoute;
  spelling: Spelling;
  credential: Credential;
  response: RawResponse;
}

/** Sends every route in every spelling with every credential, one after another. */
export async function runTable(
  port: number,
  routes: CatalogRoute[],
  credentials: Credential[],
  params: (name: string, route: CatalogRoute) => string,
  onCase: (c: TableCase) => void,
): Promise<number> {
  let count = 0;
  for (const route of routes) {
    const path = concretePath(route.url, (name) => params(name, route));
    const hasBody = route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH';
    for (const spelling of spellings(path)) {
      for (const credential of credentials) {
        const response = await rawRequest(port, {
          method: route.method,
          path: credential.query === undefined ? spelling.path : withQuery(spelling.path, credential.query),
          headers: credential.headers,
          upgrade: route.websocket,
          body: hasBody ? '{}' : undefined,
        });
        onCase({ route, spelling, credential, response });
        count += 1;
      }
    }
  }
  return count;
}

export const SPELLINGS_PER_PATH = spellings('/a/b').length;

/**
 * What is wrong with one case, or null: a server path in the body (`dataDir`); when the credential
 * must not open the route, a 5xx or an answer that is not a refusal (a public route may say 503:
 * /api/ready before its check passes); when it must, a 401 or a 500 (a 502/503 is the route at
 * work: the fleet's device behind it does not answer).
 */
export function caseProblem(c: TableCase, dataDir: string, opens: boolean): string | null {
  const { status } = c.response;
  if (c.response.body.includes(dataDir)) return `leaks a server path: ${describeCase(c)}`;
  if (opens) return status === 401 || status === 500 ? describeCase(c) : null;
  if (status >= 500 && !(c.route.public && status === 503)) return describeCase(c);
  return c.route.public || REFUSED.has(status) ? null : describeCase(c);
}

/**
 * Runs the table for `credentials`, adds every case to `cases`, and returns what went wrong
 * (caseProblem; `opens` says whether a case's credential must open its route, `exempt` skips a
 * case whose answer another test judges).
 */
export async function tableProblems(
  table: { port: number; routes: CatalogRoute[]; params: (name: string, route: CatalogRoute) => string; dataDir: string; cases: TableCase[] },
  credentials: Credential[],
  opens: (c: TableCase) => boolean,
  exempt: (c: TableCase) => boolean = () => false,
): Promise<string[]> {
  const wrong: string[] = [];
  await runTable(table.port, table.routes, credentials, table.params, (c) => {
    table.cases.push(c);
    const problem = exempt(c) ? null : caseProblem(c, table.dataDir, opens(c));
    if (problem) wrong.push(problem);
  });
  return wrong;
}

/** Prints the case count and how the cases were answered: the figures the security issue asks for. */
export function printTableSummary(label: string, routes: CatalogRoute[], cases: TableCase[], opens: (c: TableCase) => boolean): void {
  const credentials = new Set(cases.map((c) => c.credential)).size;
  process.stdout.write(`${label} route table: ${routes.length} routes × ${SPELLINGS_PER_PATH} spellings × ${credentials} credentials = ${cases.length} cases\n`);
  const refused = cases.filter((c) => !c.route.public && !opens(c));
  process.stdout.write(`  answers where the credential must not open the route: ${statusHistogram(refused)}\n  where it must: ${statusHistogram(cases.filter(opens))}\n`);
}

/** One line per case that went wrong, for a readable failure. */
export function describeCase(c: TableCase): string {
  return `${c.route.method} ${c.route.url} [${c.spelling.name}: ${c.spelling.path}] ${c.credential.name} -> ${c.response.status} ${c.response.body.slice(0, 120)}`;
}

/** "401×12, 404×3": how the cases were answered, for the printed summary. */
export function statusHistogram(cases: TableCase[]): string {
  const counts = new Map<number, number>();
  for (const c of cases) counts.set(c.response.status, (counts.get(c.response.status) ?? 0) + 1);
  return [...counts.entries()]
    .sort(([a], [b]) => a - b)
    .map(([status, n]) => `${status}×${n}`)
    .join(', ');
}
