import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ChannelDeliveryError } from './channel-error.js';
import { createChannelSet, MAX_RETRY_DELAY_MS, retryDelayMs, type ChannelSet } from './channel-set.js';
import { createTelegramChannel } from './telegram.js';
import { activeResources, fakeBotToken, logSink, newHandles, sampleNotification, startHttpReceiver, type HttpReceiver } from './test-support.js';
import type { Channel, Notification } from './types.js';
import { waitFor } from '../../../../device/test/index.js';
import { createWebhookChannel, type WebhookPayload } from './webhook.js';

const payloads = (r: HttpReceiver): WebhookPayload[] => r.requests.map((q) => JSON.parse(q.body) as WebhookPayload);
const alert = (i: number): Notification =>
  sampleNotification({ alertId: `offline:kiosk-${i}`, deviceId: `dev-${i}`, deviceName: `kiosk-${i}`, title: `kiosk-${i} is offline` });

describe('channel set', () => {
  const receivers: HttpReceiver[] = [];
  let set: ChannelSet | undefined;
  const receiver = async (...args: Parameters<typeof startHttpReceiver>): Promise<HttpReceiver> => {
    const r = await startHttpReceiver(...args);
    receivers.push(r);
    return r;
  };
  afterEach(async () => {
    await set?.close();
    set = undefined;
    await Promise.all(receivers.splice(0).map((r) => r.close()));
  });

  it('delivers to every channel and reports one result per channel', async () => {
    const good = await receiver(() => ({ status: 200, body: 'ok' }));
    const bad = await receiver(() => ({ status: 400, body: 'unknown field' }));
    const logs = logSink();
    set = createChannelSet(
      [createWebhookChannel({ name: 'ops-hook', url: good.url, timeoutMs: 2000 }), createWebhookChannel({ name: 'broken-hook', url: bad.url, timeoutMs: 2000 })],
      { log: pino(logs.stream), backoffMs: 1 },
    );

    const results = await set.send(alert(1));

    expect(results).toEqual([
      { channel: 'ops-hook', ok: true, attempts: 1, error: null },
      // A 400 will not change on retry: one attempt, not four.
      { channel: 'broken-hook', ok: false, attempts: 1, error: 'broken-hook: receiver answered 400: unknown field' },
    ]);
    expect(good.requests).toHaveLength(1);
    expect(bad.requests).toHaveLength(1);
    expect(logs.text()).toContain('notification not delivered');
  });

  it('routes by severity: a channel only gets notifications at or above its minimum', async () => {
    const all = await receiver();
    const criticalOnly = await receiver();
    const pager: Channel = { ...createWebhookChannel({ name: 'pager', url: criticalOnly.url, timeoutMs: 2000 }), minSeverity: 'critical' };
    set = createChannelSet([createWebhookChannel({ name: 'everything', url: all.url, timeoutMs: 2000 }), pager], { log: pino(logSink().stream), backoffMs: 1 });

    expect((await set.send(alert(1))).map((r) => r.channel)).toEqual(['everything', 'pager']);
    expect((await set.send({ ...alert(2), severity: 'warning' })).map((r) => r.channel)).toEqual(['everything']);

    expect(payloads(all).map((p) => p.alert_id)).toEqual(['offline:kiosk-1', 'offline:kiosk-2']);
    expect(payloads(criticalOnly).map((p) => p.alert_id)).toEqual(['offline:kiosk-1']);
  });

  it('retries a failing channel with backoff until it succeeds', async () => {
    const flaky = await receiver((_req, i) => (i < 2 ? { status: 502, body: 'bad gateway' } : { status: 200, body: 'ok' }));
    set = createChannelSet([createWebhookChannel({ url: flaky.url, timeoutMs: 2000 })], { log: pino(logSink().stream), backoffMs: 20 });

    const [result] = await set.send(alert(1));

    expect(result).toEqual({ channel: 'webhook', ok: true, attempts: 3, error: null });
    expect(payloads(flaky).map((p) => p.alert_id)).toEqual(['offline:kiosk-1', 'offline:kiosk-1', 'offline:kiosk-1']);
  });

  it('gives up after the retries and reports the error, with the bot token in neither result nor logs', async () => {
    const token = fakeBotToken();
    // Echoing the request path puts the token into Telegram's description, as a misbehaving proxy could.
    const down = await receiver((req) => ({ status: 500, body: { ok: false, error_code: 500, description: `Internal Server Error at ${req.path}` } }));
    const logs = logSink();
    set = createChannelSet([createTelegramChannel({ botToken: token, chatId: '42', apiBaseUrl: down.url, timeoutMs: 2000 })], {
      log: pino({ level: 'debug' }, logs.stream),
      retries: 2,
      backoffMs: 5,
    });

    const [result] = await set.send(alert(1));

    expect(result).toEqual({
      channel: 'telegram',
      ok: false,
      attempts: 3,
      error: 'telegram: sendMessage failed (500): Internal Server Error at /bot[redacted]/sendMessage',
    });
    expect(down.requests).toHaveLength(3);
    expect(logs.text()).toContain('notification delivery failed, retrying');
    expect(logs.text()).not.toContain(token);
    expect(logs.text()).not.toContain(token.split(':')[1]);
  });

  it("waits as long as Telegram's retry_after asks", async () => {
    const limited = await receiver((_req, i) =>
      i === 0 ? { status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } } } : { status: 200, body: { ok: true } },
    );
    set = createChannelSet([createTelegramChannel({ botToken: fakeBotToken(), chatId: '42', apiBaseUrl: limited.url, timeoutMs: 2000 })], {
      log: pino(logSink().stream),
      backoffMs: 1,
    });

    const started = Date.now();
    const [result] = await set.send(alert(1));

    expect(result).toMatchObject({ ok: true, attempts: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it('caps the wait a receiver asks for at 30 s', () => {
    const slowDown = new ChannelDeliveryError('429', { status: 429, retryAfterS: 3600 });
    expect(retryDelayMs(slowDown, 1, 500)).toBe(MAX_RETRY_DELAY_MS);
    expect(retryDelayMs(new ChannelDeliveryError('429', { retryAfterS: 2 }), 1, 500)).toBe(2000);
    expect(retryDelayMs(new Error('boom'), 3, 500)).toBe(2000);
  });

  it('holds back notifications over the rate limit and sends them when the window frees', async () => {
    const hook = await receiver();
    set = createChannelSet([createWebhookChannel({ url: hook.url, timeoutMs: 2000 })], { log: pino(logSink().stream), maxPerMinute: 2, rateWindowMs: 1000 });

    const sends = [1, 2, 3, 4].map((i) => set!.send(alert(i)));
    await Promise.all(sends.slice(0, 2));
    // The window is far longer than two local requests, so the other two are still waiting.
    expect(hook.requests).toHaveLength(2);
    const results = await Promise.all(sends);

    expect(results.flat().every((r) => r.ok && !r.digested)).toBe(true);
    expect(payloads(hook).map((p) => [p.kind, p.alert_id])).toEqual([1, 2, 3, 4].map((i) => ['open', `offline:kiosk-${i}`]));
  });

  it('never sends more than the limit in any window, also across the boundary of the first', async () => {
    // A fake channel records when each notification is handed to it (no network needed for that).
    const sentAt: number[] = [];
    const recorder: Channel = { name: 'recorder', kind: 'webhook', send: async () => void sentAt.push(Date.now()) };
    const windowMs = 300;
    set = createChannelSet([recorder], { log: pino(logSink().stream), maxPerMinute: 3, rateWindowMs: windowMs });

    await set.send(alert(1));
    // Late in the first window, a burst: fixed windows would let 2 through now and 3 more at the
    // boundary, 5 within a few ms; a sliding window lets 2 through now and the rest one window
    // after each earlier send.
    await waitFor(() => Date.now() - sentAt[0]! >= (windowMs * 3) / 4, { intervalMs: 5 });
    await Promise.all([2, 3, 4, 5, 6].map((i) => set!.send(alert(i))));

    expect(sentAt).toHaveLength(6);
    // Timers never fire early; Date.now() has 1 ms steps.
    for (let i = 0; i + 3 < sentAt.length; i += 1) expect(sentAt[i + 3]! - sentAt[i]!).toBeGreaterThanOrEqual(windowMs - 1);
  });

  it('rolls the waiting notifications into one digest when more than 20 wait', async () => {
    const hook = await receiver();
    const logs = logSink();
    set = createChannelSet([createWebhookChannel({ url: hook.url, timeoutMs: 2000 })], { log: pino(logs.stream), maxPerMinute: 2, rateWindowMs: 300 });

    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => set!.send(alert(i + 1))));

    const sent = payloads(hook);
    expect(sent.map((p) => p.kind)).toEqual(['open', 'open', 'digest']);
    const digest = sent[2]!;
    expect(digest.digest_total).toBe(38);
    expect(digest.digest?.map((d) => d.alert_id)).toEqual(Array.from({ length: 38 }, (_, i) => `offline:kiosk-${i + 3}`));
    expect(digest.severity).toBe('critical');
    expect(digest.title).toBe('38 alert notifications (38 opened)');
    expect(digest.message.split('\n')).toHaveLength(11);
    expect(digest.message).toMatch(/^🔴 kiosk-3 is offline\n/);
    expect(digest.message).toMatch(/\nand 28 more alerts$/);
    expect(results.map(([r]) => r?.digested ?? false)).toEqual([false, false, ...Array<boolean>(38).fill(true)]);
    expect(results.every(([r]) => r?.ok)).toBe(true);
    expect(logs.text()).toContain('rolling the waiting notifications into one digest');
  });

  it('close() with pending sends finishes quickly and leaves no handles', async () => {
    const before = activeResources();
    const hung = await receiver(() => 'hang');
    const failing = await receiver(() => ({ status: 503, body: 'maintenance' }));
    const logs = logSink();
    set = createChannelSet(
      [createWebhookChannel({ name: 'hung', url: hung.url, timeoutMs: 10_000 }), createWebhookChannel({ name: 'failing', url: failing.url, timeoutMs: 10_000 })],
      // Long backoff and window: without close() these sends would take minutes.
      { log: pino(logs.stream), maxPerMinute: 1, backoffMs: 60_000, closeTimeoutMs: 200 },
    );
    const first = set.send(alert(1));
    const waiting = [set.send(alert(2)), set.send(alert(3))];
    // One request hangs in flight, the other channel sleeps before its retry.
    await hung.waitForRequests(1);
    await logs.waitFor('notification delivery failed, retrying');

    const started = Date.now();
    await set.close();
    const elapsed = Date.now() - started;
    const [firstResults, ...waitingResults] = await Promise.all([first, ...waiting]);

    expect(elapsed).toBeLessThan(2000);
    expect(firstResults).toEqual([
      { channel: 'hung', ok: false, attempts: 1, error: 'hung: request failed: aborted' },
      { channel: 'failing', ok: false, attempts: 1, error: 'failing: receiver answered 503: maintenance (not retried: the channel set closed)' },
    ]);
    // The two held back by the rate limit were flushed as one digest per channel, not dropped.
    expect(hung.requests).toHaveLength(2);
    expect((JSON.parse(hung.requests[1]!.body) as WebhookPayload).digest_total).toBe(2);
    expect(payloads(failing)[1]?.digest?.map((d) => d.alert_id)).toEqual(['offline:kiosk-2', 'offline:kiosk-3']);
    for (const results of waitingResults) {
      expect(results).toEqual([
        { channel: 'hung', ok: false, attempts: 1, error: 'hung: request failed: aborted', digested: true },
        { channel: 'failing', ok: false, attempts: 1, error: 'failing: receiver answered 503: maintenance', digested: true },
      ]);
    }
    expect(await set.send(alert(4))).toEqual([
      { channel: 'hung', ok: false, attempts: 0, error: 'the channel set is closed' },
      { channel: 'failing', ok: false, attempts: 0, error: 'the channel set is closed' },
    ]);
    await Promise.all(receivers.splice(0).map((r) => r.close()));
    expect(await newHandles(before)).toEqual({});
  });

  it('lets the process exit on its own after close(), even with a hung request and a retry pending', async () => {
    // In-process handle counts cannot see a leaked timer reliably (vitest's own timers come and
    // go), so a child process does the same as the test above and must end without process.exit().
    const dir = fileURLToPath(new URL('.', import.meta.url));
    const script = `
      import http from 'node:http';
      import { createChannelSet } from ${JSON.stringify(`${dir}channel-set.js`)};
      import { createWebhookChannel } from ${JSON.stringify(`${dir}webhook.js`)};
      const listen = (s) => new Promise((r) => s.listen(0, '127.0.0.1', () => r('http://127.0.0.1:' + s.address().port)));
      const hung = http.createServer(() => {});
      const failing = http.createServer((req, res) => { res.writeHead(503); res.end('maintenance'); });
      const quiet = { debug() {}, info() {}, warn() {}, error() {} };
      const set = createChannelSet(
        [createWebhookChannel({ url: await listen(hung), timeoutMs: 60000 }), createWebhookChannel({ url: await listen(failing), timeoutMs: 60000 })],
        { log: quiet, maxPerMinute: 1, backoffMs: 60000, closeTimeoutMs: 100 },
      );
      const n = (i) => ({ kind: 'open', alertId: 'a' + i, deviceId: null, deviceName: null, rule: 'disk', severity: 'warning',
        title: 't', message: 'm', since: new Date().toISOString(), at: new Date().toISOString(), url: null });
      const sends = [set.send(n(1)), set.send(n(2)), set.send(n(3))];
      await new Promise((r) => setTimeout(r, 150));
      await set.close();
      const results = await Promise.all(sends);
      hung.closeAllConnections();
      hung.close();
      failing.close();
      process.stdout.write(JSON.stringify(results.flat().map((r) => r.ok)));
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 8000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
    clearTimeout(killer);

    expect({ code, signal, err }).toEqual({ code: 0, signal: null, err: '' });
    expect(JSON.parse(out)).toEqual([false, false, false, false, false, false]);
  });

  it('refuses nonsense limits', () => {
    expect(() => createChannelSet([], { log: pino(logSink().stream), maxPerMinute: 0 })).toThrow('maxPerMinute must be an integer >= 1, got 0');
  });
});
