import { describe, expect, it } from 'vitest';
import { ChannelDeliveryError } from './channel-error.js';
import { createSlackChannel, toSlackPayload, type SlackPayload } from './slack.js';
import { channelUnderTest, fakeSecret, sampleNotification, startHttpReceiver } from './test-support.js';

describe('slack channel', () => {
  const t = channelUnderTest();

  it('posts text and blocks with the emoji, bold title, message, device and since', async () => {
    t.receiver = await startHttpReceiver(() => ({ status: 200, body: 'ok' }));
    t.channel = createSlackChannel({ webhookUrl: `${t.receiver.url}/services/T000/B000/${fakeSecret()}`, timeoutMs: 2000 });

    await t.channel.send(sampleNotification({ message: 'Disk <root> at 97% & rising' }));

    const payload = JSON.parse(t.receiver.requests[0]?.body ?? '') as SlackPayload;
    expect(payload.text).toBe('🔴 kiosk-7 is offline');
    expect(payload.blocks[0]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '🔴 *kiosk-7 is offline*\nDisk &lt;root&gt; at 97% &amp; rising' },
    });
    const context = payload.blocks[1];
    expect(context?.type).toBe('context');
    const facts = context?.type === 'context' ? (context.elements[0]?.text ?? '') : '';
    expect(facts).toContain('*Device:* kiosk-7 (dev-7)');
    expect(facts).toContain('*Since:* 2025-11-22T10:02:11.000Z');
    expect(facts).toContain('<http://fleet.test/devices/dev-7|Open in dashboard>');
  });

  it('picks the emoji from kind and severity', () => {
    const emoji = (kind: 'open' | 'reminder' | 'resolved' | 'digest', severity: 'info' | 'warning' | 'critical') =>
      toSlackPayload(sampleNotification({ kind, severity })).text.split(' ')[0];
    expect(emoji('open', 'critical')).toBe('🔴');
    expect(emoji('open', 'warning')).toBe('🟠');
    expect(emoji('resolved', 'critical')).toBe('✅');
    expect(emoji('reminder', 'warning')).toBe('🔁');
    expect(emoji('digest', 'critical')).toBe('📋');
  });

  it('keeps a long message under the section limit of Slack', () => {
    const payload = toSlackPayload(sampleNotification({ message: 'x'.repeat(10_000) }));
    const section = payload.blocks[0];
    expect(section?.type === 'section' ? section.text.text.length : 0).toBeLessThanOrEqual(3000);
  });

  it('throws on any answer but 200 "ok", without the webhook secret', async () => {
    const secret = fakeSecret();
    t.receiver = await startHttpReceiver((req, i) =>
      i === 0 ? { status: 404, body: `no_service ${req.path}` } : { status: 200, body: '<html>login</html>' },
    );
    t.channel = createSlackChannel({ webhookUrl: `${t.receiver.url}/services/T000/B000/${secret}`, timeoutMs: 2000 });

    const notFound = (await t.channel.send(sampleNotification()).catch((e: unknown) => e)) as ChannelDeliveryError;
    expect(notFound).toBeInstanceOf(ChannelDeliveryError);
    expect(notFound.message).toMatch(/^slack: webhook answered 404: no_service/);
    expect(notFound.message).not.toContain(secret);
    expect(notFound.retryable).toBe(false);

    const notSlack = (await t.channel.send(sampleNotification()).catch((e: unknown) => e)) as ChannelDeliveryError;
    expect(notSlack.message).toBe('slack: webhook answered 200: <html>login</html>');
  });

  it('requires https unless the webhook is on a loopback host', () => {
    expect(() => createSlackChannel({ webhookUrl: 'http://hooks.example.test/services/x', timeoutMs: 1000 })).toThrow(/https/);
  });
});
