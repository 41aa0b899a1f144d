// Builds the notification channels from OUTPOST_ALERT_* variables. Every problem throws an
// AlertChannelConfigError naming the variable and what it expected; the fleet config module turns
// it into its boot-time error. Messages never echo a URL, token or header value: those are secrets.
import { createEmailChannel, parseSmtpUrl } from './email.js';
import { EndpointUrlError, parseEndpointUrl } from './endpoint-url.js';
import { createSlackChannel } from './slack.js';
import { createTelegramChannel, TELEGRAM_CHAT_ID_PATTERN, TELEGRAM_TOKEN_PATTERN } from './telegram.js';
import type { Channel, ChannelKind, Severity } from './types.js';
import { createWebhookChannel } from './webhook.js';

export const ALERT_ENV = {
  webhookUrl: 'OUTPOST_ALERT_WEBHOOK_URL',
  webhookHeaders: 'OUTPOST_ALERT_WEBHOOK_HEADERS',
  slackWebhookUrl: 'OUTPOST_ALERT_SLACK_WEBHOOK_URL',
  telegramBotToken: 'OUTPOST_ALERT_TELEGRAM_BOT_TOKEN',
  telegramChatId: 'OUTPOST_ALERT_TELEGRAM_CHAT_ID',
  telegramApiUrl: 'OUTPOST_ALERT_TELEGRAM_API_URL',
  smtpUrl: 'OUTPOST_ALERT_SMTP_URL',
  emailFrom: 'OUTPOST_ALERT_EMAIL_FROM',
  emailTo: 'OUTPOST_ALERT_EMAIL_TO',
  timeoutMs: 'OUTPOST_ALERT_TIMEOUT_MS',
  webhookMinSeverity: 'OUTPOST_ALERT_WEBHOOK_MIN_SEVERITY',
  slackMinSeverity: 'OUTPOST_ALERT_SLACK_MIN_SEVERITY',
  telegramMinSeverity: 'OUTPOST_ALERT_TELEGRAM_MIN_SEVERITY',
  emailMinSeverity: 'OUTPOST_ALERT_EMAIL_MIN_SEVERITY',
} as const;

const MIN_SEVERITY_ENV: Record<ChannelKind, string> = {
  webhook: ALERT_ENV.webhookMinSeverity,
  slack: ALERT_ENV.slackMinSeverity,
  telegram: ALERT_ENV.telegramMinSeverity,
  email: ALERT_ENV.emailMinSeverity,
};
const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];

/** The channel, taking only notifications of `min` severity and above. */
function withMinSeverity(channel: Channel, min: Severity): Channel {
  return {
    name: channel.name,
    kind: channel.kind,
    minSeverity: min,
    send: (n, opts) => channel.send(n, opts),
    ...(channel.close ? { close: () => channel.close!() } : {}),
  };
}

export const DEFAULT_ALERT_TIMEOUT_MS = 5_000;
const TIMEOUT_RANGE = { min: 100, max: 120_000 };

export class AlertChannelConfigError extends Error {
  constructor(
    readonly variable: string,
    expected: string,
  ) {
    super(`${variable} ${expected}`);
    this.name = 'AlertChannelConfigError';
  }
}

// RFC 9110 token characters.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function parseWebhookHeaders(value: string): Record<string, string> {
  const headers: Record<string, string> = {};
  value.split(',').forEach((pair, i) => {
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const headerValue = pair.slice(eq + 1).trim();
    if (eq < 0 || !HEADER_NAME.test(name) || !headerValue) {
      throw new AlertChannelConfigError(
        ALERT_ENV.webhookHeaders,
        `must be comma-separated name=value pairs like "Authorization=Bearer xyz,X-Team=ops" (entry ${i + 1} is not)`,
      );
    }
    headers[name] = headerValue;
  });
  return headers;
}

function endpoint(variable: string, value: string, plainHttp: 'allowed' | 'loopback-only'): string {
  try {
    return parseEndpointUrl(value, { plainHttp }).href;
  } catch (err) {
    if (err instanceof EndpointUrlError) throw new AlertChannelConfigError(variable, err.problem);
    throw err;
  }
}

export function channelsFromEnv(env: Record<string, string | undefined>): Channel[] {
  // An empty value (VAR= in an env file) means unset.
  const get = (name: string): string | undefined => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const channels: Channel[] = [];

  const rawTimeout = get(ALERT_ENV.timeoutMs);
  const timeoutMs = rawTimeout === undefined ? DEFAULT_ALERT_TIMEOUT_MS : Number(rawTimeout);
  if (!Number.isInteger(timeoutMs) || timeoutMs < TIMEOUT_RANGE.min || timeoutMs > TIMEOUT_RANGE.max) {
    throw new AlertChannelConfigError(
      ALERT_ENV.timeoutMs,
      `must be a whole number of milliseconds from ${TIMEOUT_RANGE.min} to ${TIMEOUT_RANGE.max}, got ${JSON.stringify(rawTimeout)}`,
    );
  }

  const webhookUrl = get(ALERT_ENV.webhookUrl);
  const webhookHeaders = get(ALERT_ENV.webhookHeaders);
  if (webhookHeaders && !webhookUrl) {
    throw new AlertChannelConfigError(ALERT_ENV.webhookUrl, `must be set when ${ALERT_ENV.webhookHeaders} is (the headers go with that webhook)`);
  }
  if (webhookUrl) {
    channels.push(
      createWebhookChannel({
        url: endpoint(ALERT_ENV.webhookUrl, webhookUrl, 'allowed'),
        ...(webhookHeaders ? { headers: parseWebhookHeaders(webhookHeaders) } : {}),
        timeoutMs,
      }),
    );
  }

  const slackUrl = get(ALERT_ENV.slackWebhookUrl);
  if (slackUrl) {
    channels.push(createSlackChannel({ webhookUrl: endpoint(ALERT_ENV.slackWebhookUrl, slackUrl, 'loopback-only'), timeoutMs }));
  }

  const botToken = get(ALERT_ENV.telegramBotToken);
  const chatId = get(ALERT_ENV.telegramChatId);
  const telegramApi = get(ALERT_ENV.telegramApiUrl);
  if (botToken && !chatId) {
    throw new AlertChannelConfigError(ALERT_ENV.telegramChatId, `must be set when ${ALERT_ENV.telegramBotToken} is (the chat the bot posts to)`);
  }
  if ((chatId || telegramApi) && !botToken) {
    const which = chatId ? ALERT_ENV.telegramChatId : ALERT_ENV.telegramApiUrl;
    throw new AlertChannelConfigError(ALERT_ENV.telegramBotToken, `must be set when ${which} is (the token BotFather gave the bot)`);
  }
  if (botToken && chatId) {
    if (!TELEGRAM_TOKEN_PATTERN.test(botToken)) {
      throw new AlertChannelConfigError(ALERT_ENV.telegramBotToken, 'must look like "<digits>:<letters, digits, - or _>" as BotFather prints it');
    }
    if (!TELEGRAM_CHAT_ID_PATTERN.test(chatId)) {
      throw new AlertChannelConfigError(ALERT_ENV.telegramChatId, `must be a numeric chat id (e.g. -1001234567890) or "@channelname", got ${JSON.stringify(chatId)}`);
    }
    channels.push(
      createTelegramChannel({
        botToken,
        chatId,
        ...(telegramApi ? { apiBaseUrl: endpoint(ALERT_ENV.telegramApiUrl, telegramApi, 'loopback-only') } : {}),
        timeoutMs,
      }),
    );
  }

  const smtpUrl = get(ALERT_ENV.smtpUrl);
  const from = get(ALERT_ENV.emailFrom);
  const to = (get(ALERT_ENV.emailTo) ?? '')
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (!smtpUrl && (from || to.length > 0)) {
    const which = from ? ALERT_ENV.emailFrom : ALERT_ENV.emailTo;
    throw new AlertChannelConfigError(ALERT_ENV.smtpUrl, `must be set when ${which} is (smtp://user:pass@host:587 or smtps://…)`);
  }
  if (smtpUrl) {
    try {
      parseSmtpUrl(smtpUrl);
    } catch (err) {
      throw new AlertChannelConfigError(ALERT_ENV.smtpUrl, (err as Error).message);
    }
    if (to.length === 0) {
      throw new AlertChannelConfigError(ALERT_ENV.emailTo, `must list at least one recipient (comma-separated) when ${ALERT_ENV.smtpUrl} is set`);
    }
    const bad = to.findIndex((a) => !a.includes('@'));
    if (bad >= 0) throw new AlertChannelConfigError(ALERT_ENV.emailTo, `must be comma-separated email addresses (entry ${bad + 1} has no @)`);
    if (!from?.includes('@')) {
      throw new AlertChannelConfigError(ALERT_ENV.emailFrom, `must be a sender address like "Outpost <alerts@example.com>" when ${ALERT_ENV.smtpUrl} is set`);
    }
    channels.push(createEmailChannel({ smtpUrl, from, to, timeoutMs }));
  }

  // Routing by severity, per channel kind; unset: every severity.
  const configured = new Set(channels.map((c) => c.kind));
  for (const [kind, variable] of Object.entries(MIN_SEVERITY_ENV) as [ChannelKind, string][]) {
    const raw = get(variable);
    if (raw === undefined) continue;
    if (!SEVERITIES.includes(raw as Severity)) throw new AlertChannelConfigError(variable, `must be info, warning or critical, got ${JSON.stringify(raw)}`);
    if (!configured.has(kind)) throw new AlertChannelConfigError(variable, `is set but the ${kind} channel is not configured`);
  }
  return channels.map((c) => {
    const min = get(MIN_SEVERITY_ENV[c.kind]) as Severity | undefined;
    return min ? withMinSeverity(c, min) : c;
  });
}
