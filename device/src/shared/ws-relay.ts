// Bridges used to serve every session through the appliance's one port: a websocket-to-websocket
// relay for Playwright (message boundaries and text/binary preserved) and a websocket-to-TCP
// bridge for VNC (RFB is a byte stream). Both apply backpressure and end both sides together.
import { createConnection } from 'node:net';
import WebSocket from 'ws';

const HIGH_WATER = 4 * 1024 * 1024;

export interface RelayHooks {
  onActivity?: () => void;
  onClose?: () => void;
}

function closeCode(code: number): number {
  // 1005/1006/1015 are reserved for reporting and may not be sent.
  return code === 1005 || code === 1006 || code === 1015 || code < 1000 || code > 4999 ? 1011 : code;
}

const MAX_PAYLOAD = 256 * 1024 * 1024;

/**
 * What a relay passes on of the client's upgrade to a browser-side server: the user agent and
 * Playwright's own headers (its version and options). Never Origin or Sec-Fetch-*: a device would
 * refuse the monitor's live view page as another site (http/cross-site.ts).
 */
export function playwrightHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (typeof v === 'string' && (k === 'user-agent' || k.startsWith('x-playwright'))) out[k] = v;
  }
  return out;
}

/** `target` is a URL to connect to, or an upstream socket already open (openUpstream). */
export function relayWebSocket(
  client: WebSocket,
  target: string | WebSocket,
  headers: Record<string, string>,
  hooks: RelayHooks = {},
): { close: (code: number, reason: string) => void } {
  const upstream = typeof target === 'string' ? new WebSocket(target, { headers, perMessageDeflate: false, maxPayload: MAX_PAYLOAD }) : target;
  const pending: Array<[WebSocket.RawData, boolean]> = [];
  let done = false;

  const finish = (code: number, reason: string) => {
    if (done) return;
    done = true;
    const c = closeCode(code);
    const r = reason.slice(0, 120);
    if (client.readyState === WebSocket.OPEN || client.readyState === WebSocket.CONNECTING) client.close(c, r);
    if (upstream.readyState === WebSocket.OPEN) upstream.close(c, r);
    else if (upstream.readyState === WebSocket.CONNECTING) upstream.terminate();
    hooks.onClose?.();
  };

  client.on('message', (data, isBinary) => {
    hooks.onActivity?.();
    if (upstream.readyState === WebSocket.OPEN) upstream.send(data, { binary: isBinary });
    else pending.push([data, isBinary]);
  });
  upstream.on('open', () => {
    for (const [data, isBinary] of pending.splice(0)) upstream.send(data, { binary: isBinary });
  });
  upstream.on('message', (data, isBinary) => {
    client.send(data, { binary: isBinary });
    if (client.bufferedAmount > HIGH_WATER && upstream.readyState === WebSocket.OPEN) {
      upstream.pause();
      const resume = () => {
        if (client.bufferedAmount <= HIGH_WATER / 2 || client.readyState !== WebSocket.OPEN) upstream.resume();
        else setTimeout(resume, 10);
      };
      setTimeout(resume, 10);
    }
  });
  client.on('close', (code, reason) => finish(code, reason.toString()));
  upstream.on('close', (code, reason) => finish(code, reason.toString() || 'browser closed'));
  client.on('error', () => finish(1011, 'client error'));
  upstream.on('error', (err) => finish(1011, `upstream: ${err.message}`));
  return { close: finish };
}

/** How an upstream refused the upgrade: its status and body (an Outpost service's { error } JSON). */
export interface UpstreamRefusal {
  status: number;
  body: string;
}

/**
 * Opens a websocket to `url` before the client's own upgrade is answered, so that a refusal can be
 * passed on as the HTTP answer it was (a 429 stays a 429) instead of a closed socket. Resolves with
 * the open socket, or with the refusal; rejects when the upstream cannot be reached in time.
 */
export function openUpstream(url: string, headers: Record<string, string>, timeoutMs: number): Promise<WebSocket | UpstreamRefusal> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, perMessageDeflate: false, maxPayload: MAX_PAYLOAD, handshakeTimeout: timeoutMs });
    ws.once('open', () => {
      ws.removeAllListeners('error');
      // Until the relay takes it, an error must not be unhandled.
      ws.on('error', () => undefined);
      resolve(ws);
    });
    ws.once('unexpected-response', (req, res) => {
      let body = '';
      const done = () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 502, body });
      };
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (body.length < 64 * 1024) body += chunk;
      });
      res.on('end', done);
      res.on('error', done);
    });
    ws.once('error', (err) => reject(err));
  });
}

export function bridgeWebSocketToTcp(
  client: WebSocket,
  host: string,
  port: number,
  hooks: RelayHooks = {},
): { close: (code: number, reason: string) => void } {
  const socket = createConnection({ host, port });
  socket.setNoDelay(true);
  const pending: Buffer[] = [];
  let connected = false;
  let done = false;

  const finish = (code: number, reason: string) => {
    if (done) return;
    done = true;
    if (client.readyState === WebSocket.OPEN || client.readyState === WebSocket.CONNECTING) client.close(closeCode(code), reason.slice(0, 120));
    socket.destroy();
    hooks.onClose?.();
  };

  const toBuffer = (data: WebSocket.RawData): Buffer =>
    Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);

  client.on('message', (data) => {
    hooks.onActivity?.();
    const buf = toBuffer(data);
    if (connected) {
      if (!socket.write(buf)) client.pause();
    } else pending.push(buf);
  });
  socket.on('drain', () => client.resume());
  socket.on('connect', () => {
    connected = true;
    for (const buf of pending.splice(0)) socket.write(buf);
  });
  socket.on('data', (chunk) => {
    client.send(chunk, { binary: true });
    if (client.bufferedAmount > HIGH_WATER) {
      socket.pause();
      const resume = () => {
        if (client.bufferedAmount <= HIGH_WATER / 2 || client.readyState !== WebSocket.OPEN) socket.resume();
        else setTimeout(resume, 10);
      };
      setTimeout(resume, 10);
    }
  });
  socket.on('close', () => finish(1000, 'vnc server closed'));
  socket.on('error', (err) => finish(1011, `vnc: ${err.message}`));
  client.on('close', () => finish(1000, 'client closed'));
  client.on('error', () => finish(1011, 'client error'));
  return { close: finish };
}
