import { afterEach, describe, expect, it } from 'vitest';
import { AlertChannelConfigError, channelsFromEnv, parseWebhookHeaders } from './config.js';
import { fakeBotToken, fakeSecret } from './test-support.js';
import type { Channel } from './types.js';

describe('channelsFromEnv', () => {
  let built: Channel[] = [];
  const build = (env: Record<string, string | undefined>): Channel[] => (built = channelsFromEnv(env));
  afterEach(async () => {
    await Promise.all(built.map((c) => c.close?.()));
    built = [];
  });

  /** The thrown error, or fails the test if nothing was thrown. */
  const errorFor = (env: Record<string, string | undefined>): AlertChannelConfigError => {
    try {
      build(env);
    } catch (err) {
      expect(err).toBeInstanceOf(AlertChannelConfigError);
      return err as AlertChannelConfigError;
    }
    throw new Error('expected channelsFromEnv to throw');
  };

  it('builds no channel when nothing is configured, and treats empty values as unset', () => {
    expect(build({})).toEqual([]);
    expect(build({ OUTPOST_ALERT_WEBHOOK_URL: '', OUTPOST_ALERT_TELEGRAM_BOT_TOKEN: '  ' })).toEqual([]);
  });

  it('builds every configured channel', () => {
    const channels = build({
      OUTPOST_ALERT_WEBHOOK_URL: 'https://hooks.example.test/outpost',
      OUTPOST_ALERT_WEBHOOK_HEADERS: `Authorization=Bearer ${fakeSecret()},X-Team=ops`,
      OUTPOST_ALERT_SLACK_WEBHOOK_URL: `https://hooks.slack.example.test/services/T0/B0/${fakeSecret()}`,
      OUTPOST_ALERT_TELEGRAM_BOT_TOKEN: fakeBotToken(),
      OUTPOST_ALERT_TELEGRAM_CHAT_ID: '-1001234567890',
      OUTPOST_ALERT_SMTP_URL: `smtps://alerts:${fakeSecret()}@mail.example.test`,
      OUTPOST_ALERT_EMAIL_FROM: 'Outpost <alerts@example.test>',
      OUTPOST_ALERT_EMAIL_TO: 'ops@example.test, oncall@example.test',
      OUTPOST_ALERT_TIMEOUT_MS: '2500',
    });
    expect(channels.map((c) => [c.kind, c.name])).toEqual([
      ['webhook', 'webhook'],
      ['slack', 'slack'],
      ['telegram', 'telegram'],
      ['email', 'email'],
    ]);
  });

  it.each<[Record<string, string>, string]>([
    [{ OUTPOST_ALERT_TELEGRAM_BOT_TOKEN: 'TOKEN' }, 'OUTPOST_ALERT_TELEGRAM_CHAT_ID must be set when OUTPOST_ALERT_TELEGRAM_BOT_TOKEN is'],
    [{ OUTPOST_ALERT_TELEGRAM_CHAT_ID: '42' }, 'OUTPOST_ALERT_TELEGRAM_BOT_TOKEN must be set when OUTPOST_ALERT_TELEGRAM_CHAT_ID is'],
    [{ OUTPOST_ALERT_TELEGRAM_BOT_TOKEN: 'TOKEN', OUTPOST_ALERT_TELEGRAM_CHAT_ID: 'ops' }, 'OUTPOST_ALERT_TELEGRAM_CHAT_ID must be a numeric chat id'],
    [
      { OUTPOST_ALERT_TELEGRAM_BOT_TOKEN: 'TOKEN', OUTPOST_ALERT_TELEGRAM_CHAT_ID: '42', OUTPOST_ALERT_TELEGRAM_API_URL: 'http://tg-proxy.example.test' },
      'OUTPOST_ALERT_TELEGRAM_API_URL must use https',
    ],
    [{ OUTPOST_ALERT_WEBHOOK_URL: 'hooks.example.test/x' }, 'OUTPOST_ALERT_WEBHOOK_URL must be an absolute http(s) URL'],
    [{ OUTPOST_ALERT_WEBHOOK_URL: 'ftp://hooks.example.test/x' }, 'OUTPOST_ALERT_WEBHOOK_URL must be an http(s) URL (got the scheme ftp)'],
    [{ OUTPOST_ALERT_WEBHOOK_HEADERS: 'X-Team=ops' }, 'OUTPOST_ALERT_WEBHOOK_URL must be set when OUTPOST_ALERT_WEBHOOK_HEADERS is'],
    [{ OUTPOST_ALERT_WEBHOOK_URL: 'https://h.example.test', OUTPOST_ALERT_WEBHOOK_HEADERS: 'X-Team=ops,broken' }, 'OUTPOST_ALERT_WEBHOOK_HEADERS must be comma-separated name=value pairs'],
    [{ OUTPOST_ALERT_SLACK_WEBHOOK_URL: 'http://hooks.slack.example.test/services/x' }, 'OUTPOST_ALERT_SLACK_WEBHOOK_URL must use https'],
    [{ OUTPOST_ALERT_SMTP_URL: 'smtps://mail.example.test', OUTPOST_ALERT_EMAIL_FROM: 'a@example.test' }, 'OUTPOST_ALERT_EMAIL_TO must list at least one recipient'],
    [{ OUTPOST_ALERT_SMTP_URL: 'smtps://mail.example.test', OUTPOST_ALERT_EMAIL_TO: 'ops@example.test' }, 'OUTPOST_ALERT_EMAIL_FROM must be a sender address'],
    [{ OUTPOST_ALERT_SMTP_URL: 'smtps://mail.example.test', OUTPOST_ALERT_EMAIL_FROM: 'a@example.test', OUTPOST_ALERT_EMAIL_TO: 'ops' }, 'OUTPOST_ALERT_EMAIL_TO must be comma-separated email addresses'],
    [{ OUTPOST_ALERT_EMAIL_TO: 'ops@example.test' }, 'OUTPOST_ALERT_SMTP_URL must be set when OUTPOST_ALERT_EMAIL_TO is'],
    [{ OUTPOST_ALERT_SMTP_URL: 'mail.example.test:25' }, 'OUTPOST_ALERT_SMTP_URL must be an smtp:// or smtps:// URL'],
    [{ OUTPOST_ALERT_WEBHOOK_URL: 'https://h.example.test', OUTPOST_ALERT_WEBHOOK_MIN_SEVERITY: 'high' }, 'OUTPOST_ALERT_WEBHOOK_MIN_SEVERITY must be info, warning or critical, got "high"'],
    [{ OUTPOST_ALERT_TELEGRAM_MIN_SEVERITY: 'critical' }, 'OUTPOST_ALERT_TELEGRAM_MIN_SEVERITY is set but the telegram channel is not configured'],
    [{ OUTPOST_ALERT_TIMEOUT_MS: '5s' }, 'OUTPOST_ALERT_TIMEOUT_MS must be a whole number of milliseconds from 100 to 120000, got "5s"'],
  ])('rejects %j naming the variable and what it expected', (env, expected) => {
    // Fill in a valid fake token where the case only needs "some token".
    const withToken = env.OUTPOST_ALERT_TELEGRAM_BOT_TOKEN === 'TOKEN' ? { ...env, OUTPOST_ALERT_TELEGRAM_BOT_TOKEN: fakeBotToken() } : env;
    expect(errorFor(withToken).message).toContain(expected);
  });

  it('gives each channel the minimum severity its variable names, and none where it is unset', () => {
    const channels = build({
      OUTPOST_ALERT_WEBHOOK_URL: 'https://hooks.example.test/outpost',
      OUTPOST_ALERT_SLACK_WEBHOOK_URL: `https://hooks.slack.example.test/services/T0/B0/${fakeSecret()}`,
      OUTPOST_ALERT_SLACK_MIN_SEVERITY: 'warning',
      OUTPOST_ALERT_TELEGRAM_BOT_TOKEN: fakeBotToken(),
      OUTPOST_ALERT_TELEGRAM_CHAT_ID: '-1001234567890',
      OUTPOST_ALERT_TELEGRAM_MIN_SEVERITY: ' critical ',
      OUTPOST_ALERT_WEBHOOK_MIN_SEVERITY: '',
    });
    expect(channels.map((c) => [c.kind, c.minSeverity])).toEqual([
      ['webhook', undefined],
      ['slack', 'warning'],
      ['telegram', 'critical'],
    ]);
  });

  it('never echoes a credential in its errors', () => {
    const token = fakeBotToken();
    const secret = fakeSecret();
    const messages = [
      errorFor({ OUTPOST_ALERT_TELEGRAM_BOT_TOKEN: `${token} ` + secret, OUTPOST_ALERT_TELEGRAM_CHAT_ID: '42' }).message,
      errorFor({ OUTPOST_ALERT_SLACK_WEBHOOK_URL: `http://hooks.slack.example.test/services/${secret}` }).message,
      errorFor({ OUTPOST_ALERT_SMTP_URL: `smtp://alerts:${secret}@mail.example.test?tls=false`, OUTPOST_ALERT_EMAIL_FROM: 'a@example.test', OUTPOST_ALERT_EMAIL_TO: 'b@example.test' }).message,
      errorFor({ OUTPOST_ALERT_WEBHOOK_URL: 'https://h.example.test', OUTPOST_ALERT_WEBHOOK_HEADERS: `Authorization ${secret}` }).message,
    ];
    for (const message of messages) {
      expect(message).toMatch(/^OUTPOST_ALERT_\w+ /);
      expect(message).not.toContain(secret);
      expect(message).not.toContain(token);
    }
  });
});

describe('parseWebhookHeaders', () => {
  it('splits name=value pairs at the first "="', () => {
    expect(parseWebhookHeaders('Authorization=Bearer a=b, X-Team = ops')).toEqual({ Authorization: 'Bearer a=b', 'X-Team': 'ops' });
  });
});
