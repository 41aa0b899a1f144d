// A tiny web server the tests point browsers at (loopback only).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestPages {
  url: string;
  close(): Promise<void>;
}

/** Listens on loopback, or on a Docker network's gateway address so containers can reach it. */
export async function startTestPages(host = '127.0.0.1'): Promise<TestPages> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/title') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><title>${url.searchParams.get('t') ?? 'Outpost test page'}</title><h1>hello</h1>`);
      return;
    }
    if (url.pathname === '/color') {
      const c = (url.searchParams.get('c') ?? 'ff00ff').replace(/[^0-9a-f]/gi, '');
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><title>colour ${c}</title><style>html,body{margin:0;height:100%;background:#${c}}</style><body></body>`);
      return;
    }
    if (url.pathname === '/download') {
      // `size` bytes of testDownloadBytes(size), as an attachment named `name`.
      const size = Math.min(Number(url.searchParams.get('size') ?? 1024), 16 * 1024 * 1024);
      const name = url.searchParams.get('name') ?? 'file.bin';
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-disposition': `attachment; filename="${name.replace(/["\\]/g, '_')}"`, 'content-length': size });
      res.end(testDownloadBytes(size));
      return;
    }
    if (url.pathname === '/download-page') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><title>downloads</title><a id="dl" href="/download${url.search}">download</a>`);
      return;
    }
    if (url.pathname === '/slow') {
      const ms = Math.min(Number(url.searchParams.get('ms') ?? 1000), 30_000);
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<!doctype html><title>slow</title>');
      }, ms);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The bytes /download serves: every byte value, in an order that shows a shifted or cut copy. */
export function testDownloadBytes(size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i += 1) out[i] = (i * 31 + (i >> 8)) & 0xff;
  return out;
}
