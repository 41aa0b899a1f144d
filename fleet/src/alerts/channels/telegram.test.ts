import { describe, expect, it } from 'vitest';
import { ChannelDeliveryError } from './channel-error.js';
import { createTelegramChannel } from './telegram.js';
import { channelUnderTest, fakeBotToken, sampleNotification, startHttpReceiver } from './test-support.js';

describe('telegram channel', () => {
  const t = channelUnderTest();

  it('calls sendMessage with HTML-escaped text and no link preview', async () => {
    t.receiver = await startHttpReceiver(() => ({ status: 200, body: { ok: true, result: { message_id: 1 } } }));
    const token = fakeBotToken();
    t.channel = createTelegramChannel({ botToken: token, chatId: '-1001234567890', apiBaseUrl: t.receiver.url, timeoutMs: 2000 });

    await t.channel.send(sampleNotification({ kind: 'resolved', title: 'kiosk-7 is back <online>', message: 'Seen again & healthy' }));

    const req = t.receiver.requests[0];
    expect(req?.path).toBe(`/bot${token}/sendMessage`);
    const body = JSON.parse(req?.body ?? '') as Record<string, unknown>;
    expect(body).toMatchObject({ chat_id: '-1001234567890', parse_mode: 'HTML', disable_web_page_preview: true });
    expect(body.text).toBe(
      [
        '✅ <b>kiosk-7 is back &lt;online&gt;</b>',
        'Seen again &amp; healthy',
        '',
        '<b>Device:</b> kiosk-7 (dev-7)',
        '<b>Rule:</b> device_offline',
        '<b>Severity:</b> critical',
        '<b>Since:</b> 2025-11-22T10:02:11.000Z',
        '<b>Resolved:</b> 2025-11-22T10:07:11.000Z',
        '<a href="http://fleet.test/devices/dev-7">Open in dashboard</a>',
      ].join('\n'),
    );
  });

  it('throws with the description of {ok:false} and never the token', async () => {
    const token = fakeBotToken();
    // A hostile or buggy proxy echoing the path would put the token into the description.
    t.receiver = await startHttpReceiver((req) => ({ status: 400, body: { ok: false, error_code: 400, description: `Bad Request: chat not found (${req.path})` } }));
    t.channel = createTelegramChannel({ botToken: token, chatId: '@outpost_alerts', apiBaseUrl: t.receiver.url, timeoutMs: 2000 });

    const err = (await t.channel.send(sampleNotification()).catch((e: unknown) => e)) as ChannelDeliveryError;

    expect(err).toBeInstanceOf(ChannelDeliveryError);
    expect(err.message).toBe('telegram: sendMessage failed (400): Bad Request: chat not found (/bot[redacted]/sendMessage)');
    expect(err.retryable).toBe(false);
    expect(JSON.stringify(err)).not.toContain(token);
    expect(err.stack ?? '').not.toContain(token);
  });

  it('carries retry_after from a 429 answer', async () => {
    t.receiver = await startHttpReceiver(() => ({
      status: 429,
      body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 7', parameters: { retry_after: 7 } },
    }));
    t.channel = createTelegramChannel({ botToken: fakeBotToken(), chatId: '42', apiBaseUrl: t.receiver.url, timeoutMs: 2000 });

    const err = (await t.channel.send(sampleNotification()).catch((e: unknown) => e)) as ChannelDeliveryError;

    expect(err.retryAfterS).toBe(7);
    expect(err.retryable).toBe(true);
    expect(err.message).toContain('Too Many Requests: retry after 7');
  });

  it('treats a 200 without ok:true as a failure', async () => {
    t.receiver = await startHttpReceiver(() => ({ status: 200, body: 'ok' }));
    t.channel = createTelegramChannel({ botToken: fakeBotToken(), chatId: '42', apiBaseUrl: t.receiver.url, timeoutMs: 2000 });

    await expect(t.channel.send(sampleNotification())).rejects.toThrow('telegram: sendMessage failed (200): ok');
  });

  it('keeps the token out of network errors', async () => {
    t.receiver = await startHttpReceiver();
    const url = t.receiver.url;
    await t.receiver.close();
    t.receiver = undefined;
    const token = fakeBotToken();
    t.channel = createTelegramChannel({ botToken: token, chatId: '42', apiBaseUrl: url, timeoutMs: 2000 });

    const err = (await t.channel.send(sampleNotification()).catch((e: unknown) => e)) as ChannelDeliveryError;

    expect(err.message).toMatch(/^telegram: request failed: .*ECONNREFUSED/);
    expect(err.message).not.toContain(token);
    expect(err.retryable).toBe(true);
  });

  it('refuses a malformed token without echoing it', () => {
    expect(() => createTelegramChannel({ botToken: 'not a token', chatId: '42', timeoutMs: 1000 })).toThrow(/^telegram botToken must look like/);
  });
});
