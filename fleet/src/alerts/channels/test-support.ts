// Test helpers for the channel tests: a real HTTP receiver on 127.0.0.1 that records requests and
// answers as the test says (Slack's "ok", Telegram's {ok:…}, errors, or not at all), sample
// notifications, and obviously fake credentials made up per run.
import { randomBytes, randomInt } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach } from 'vitest';
import type { Channel, Notification } from './types.js';

export interface CapturedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type Reply = { status: number; body?: string | object; headers?: Record<string, string> } | 'hang';
export type Responder = (req: CapturedRequest, index: number) => Reply;

export interface HttpReceiver {
  /** http://127.0.0.1:<port> */
  url: string;
  requests: CapturedRequest[];
  /** Resolves once `count` requests have arrived. */
  waitForRequests(count: number): Promise<void>;
  close(): Promise<void>;
}

export async function startHttpReceiver(respond: Responder = () => ({ status: 200, body: 'ok' })): Promise<HttpReceiver> {
  const requests: CapturedRequest[] = [];
  let waiters: { count: number; resolve: () => void }[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const captured = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      const index = requests.push(captured) - 1;
      waiters = waiters.filter((w) => (requests.length >= w.count ? (w.resolve(), false) : true));
      const reply = respond(captured, index);
      if (reply === 'hang') return;
      const body = typeof reply.body === 'string' ? reply.body : reply.body === undefined ? '' : JSON.stringify(reply.body);
      res.writeHead(reply.status, { 'content-type': typeof reply.body === 'object' ? 'application/json' : 'text/plain', ...reply.headers });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    waitForRequests(count) {
      if (requests.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    close() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A made-up Telegram-shaped token, different every run. */
export function fakeBotToken(): string {
  return `${randomInt(100_000, 999_999)}:TEST-${randomBytes(18).toString('base64url')}`;
}

export function fakeSecret(prefix = 'test'): string {
  return `${prefix}-${randomBytes(12).toString('hex')}`;
}

export function sampleNotification(overrides: Partial<Notification> = {}): Notification {
  return {
    kind: 'open',
    alertId: 'offline:kiosk-7',
    deviceId: 'dev-7',
    deviceName: 'kiosk-7',
    rule: 'device_offline',
    severity: 'critical',
    title: 'kiosk-7 is offline',
    message: 'No status report for 5 minutes (last seen 10:02:11Z).',
    since: '2025-11-22T10:02:11.000Z',
    at: '2025-11-22T10:07:11.000Z',
    url: 'http://fleet.test/devices/dev-7',
    ...overrides,
  };
}

/** A pino destination that keeps every line, to assert on what was (not) logged. */
export function logSink(): { stream: Writable; text(): string; waitFor(fragment: string): Promise<void> } {
  const lines: string[] = [];
  let waiters: { fragment: string; resolve: () => void }[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      const line = chunk.toString('utf8');
      lines.push(line);
      waiters = waiters.filter((w) => (line.includes(w.fragment) ? (w.resolve(), false) : true));
      done();
    },
  });
  return {
    stream,
    text: () => lines.join(''),
    waitFor(fragment) {
      if (lines.some((l) => l.includes(fragment))) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ fragment, resolve }));
    },
  };
}

/** Active handles by type, for "nothing outlives close()" checks. */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/**
 * Handle types that grew since `before` (vitest's own timers come and go, so only growth counts).
 * Waits two event-loop turns first: a destroyed socket gives its handle back on the next one.
 */
export async function newHandles(before: Record<string, number>): Promise<Record<string, number>> {
  for (let i = 0; i < 2; i++) await new Promise((resolve) => setImmediate(resolve));
  const grown: Record<string, number> = {};
  for (const [type, count] of Object.entries(activeResources())) {
    if (count > (before[type] ?? 0)) grown[type] = count - (before[type] ?? 0);
  }
  return grown;
}

/** The receiver and channel a test makes; both are closed after each test. */
export function channelUnderTest(): { receiver?: HttpReceiver; channel?: Channel } {
  const t: { receiver?: HttpReceiver; channel?: Channel } = {};
  afterEach(async () => {
    await t.channel?.close?.();
    await t.receiver?.close();
    t.channel = t.receiver = undefined;
  });
  return t;
}
