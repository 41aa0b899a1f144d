// A tiny web server the tests point browsers at (loopback only).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestPages {
  url: string;
  close(): Promise<void>;
}

export async function startTestPages(): Promise<TestPages> {
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
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
