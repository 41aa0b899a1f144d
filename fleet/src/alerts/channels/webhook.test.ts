import { describe, expect, it } from 'vitest';
import { ChannelDeliveryError } from './channel-error.js';
import { buildDigest } from './digest.js';
import { channelUnderTest, fakeSecret, sampleNotification, startHttpReceiver } from './test-support.js';
import { createWebhookChannel, DIGEST_PAYLOAD_MAX } from './webhook.js';

describe('webhook channel', () => {
  const t = channelUnderTest();

  it('posts the notification as snake_case JSON with the configured headers', async () => {
    t.receiver = await startHttpReceiver(() => ({ status: 204 }));
    const auth = `Bearer ${fakeSecret()}`;
    t.channel = createWebhookChannel({ url: `${t.receiver.url}/hooks/outpost`, headers: { Authorization: auth }, timeoutMs: 2000 });

    await t.channel.send(sampleNotification());

    expect(t.receiver.requests).toHaveLength(1);
    const [req] = t.receiver.requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/hooks/outpost');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers.authorization).toBe(auth);
    expect(JSON.parse(req?.body ?? '')).toEqual({
      kind: 'open',
      alert_id: 'offline:kiosk-7',
      device_id: 'dev-7',
      device_name: 'kiosk-7',
      rule: 'device_offline',
      severity: 'critical',
      title: 'kiosk-7 is offline',
      message: 'No status report for 5 minutes (last seen 10:02:11Z).',
      since: '2025-11-22T10:02:11.000Z',
      at: '2025-11-22T10:07:11.000Z',
      url: 'http://fleet.test/devices/dev-7',
    });
  });

  it('sends a digest with its notifications, capped, and their total', async () => {
    t.receiver = await startHttpReceiver(() => ({ status: 200, body: '' }));
    t.channel = createWebhookChannel({ url: t.receiver.url, timeoutMs: 2000 });
    const items = Array.from({ length: DIGEST_PAYLOAD_MAX + 5 }, (_, i) =>
      sampleNotification({ alertId: `offline:kiosk-${i}`, deviceName: `kiosk-${i}`, title: `kiosk-${i} is offline` }),
    );

    await t.channel.send(buildDigest(items, new Date('2025-11-22T10:10:00Z')));

    const body = JSON.parse(t.receiver.requests[0]?.body ?? '') as { kind: string; digest: { alert_id: string }[]; digest_total: number };
    expect(body.kind).toBe('digest');
    expect(body.digest_total).toBe(DIGEST_PAYLOAD_MAX + 5);
    expect(body.digest).toHaveLength(DIGEST_PAYLOAD_MAX);
    expect(body.digest[1]?.alert_id).toBe('offline:kiosk-1');
  });

  it('throws with the status and a short body excerpt on a non-2xx answer', async () => {
    t.receiver = await startHttpReceiver((_req, i) =>
      i === 0 ? { status: 503, body: `upstream down ${'x'.repeat(1000)}` } : { status: 400, body: { error: 'bad field' } },
    );
    t.channel = createWebhookChannel({ url: t.receiver.url, timeoutMs: 2000 });

    const unavailable = await t.channel.send(sampleNotification()).catch((e: unknown) => e);
    expect(unavailable).toBeInstanceOf(ChannelDeliveryError);
    expect((unavailable as ChannelDeliveryError).message).toMatch(/^webhook: receiver answered 503: upstream down x+…$/);
    expect((unavailable as ChannelDeliveryError).message.length).toBeLessThan(300);
    expect((unavailable as ChannelDeliveryError).retryable).toBe(true);

    const rejected = (await t.channel.send(sampleNotification()).catch((e: unknown) => e)) as ChannelDeliveryError;
    expect(rejected.message).toBe('webhook: receiver answered 400: {"error":"bad field"}');
    expect(rejected.status).toBe(400);
    expect(rejected.retryable).toBe(false);
  });

  it('keeps secrets from the URL query and headers out of error messages', async () => {
    const key = fakeSecret('key');
    t.receiver = await startHttpReceiver((req) => ({ status: 401, body: `bad credentials for ${req.path} ${String(req.headers['x-api-key'])}` }));
    t.channel = createWebhookChannel({ url: `${t.receiver.url}/in?key=${key}`, headers: { 'X-Api-Key': key }, timeoutMs: 2000 });

    const err = (await t.channel.send(sampleNotification()).catch((e: unknown) => e)) as Error;

    expect(err.message).toContain('401');
    expect(err.message).not.toContain(key);
  });

  it('refuses a URL that is not http(s)', () => {
    expect(() => createWebhookChannel({ url: 'ftp://example.test/x', timeoutMs: 1000 })).toThrow(/http\(s\)/);
  });
});
