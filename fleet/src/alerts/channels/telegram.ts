// Telegram Bot API sendMessage with HTML formatting. The bot token is part of the request path,
// so every error message passes through redact() (telegram test 'never puts the bot token in
// errors or logs').
import { ChannelDeliveryError, excerpt, isRetryableStatus, redact } from './channel-error.js';
import { parseEndpointUrl } from './endpoint-url.js';
import { detailFields, emojiFor, oneLine, truncate } from './format.js';
import { createJsonPoster } from './json-poster.js';
import type { Channel, Notification } from './types.js';

export interface TelegramChannelOptions {
  botToken: string;
  /** A numeric chat id ("-1001234567890") or a public channel's "@name". */
  chatId: string;
  apiBaseUrl?: string;
  timeoutMs: number;
  name?: string;
}

export const TELEGRAM_TOKEN_PATTERN = /^\d+:[A-Za-z0-9_-]+$/;
export const TELEGRAM_CHAT_ID_PATTERN = /^(-?\d+|@[A-Za-z][A-Za-z0-9_]{3,})$/;

// Telegram refuses messages over 4096 characters; these leave room for the facts and markup.
const TITLE_MAX = 250;
const MESSAGE_MAX = 3000;

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function toTelegramText(n: Notification): string {
  const lines = [`${emojiFor(n)} <b>${escapeHtml(truncate(oneLine(n.title), TITLE_MAX))}</b>`];
  if (n.message.trim()) lines.push(escapeHtml(truncate(n.message.trim(), MESSAGE_MAX)));
  lines.push('');
  for (const f of detailFields(n)) lines.push(`<b>${f.label}:</b> ${escapeHtml(f.value)}`);
  if (n.url) lines.push(`<a href="${escapeHtml(n.url)}">Open in dashboard</a>`);
  return lines.join('\n');
}

interface TelegramAnswer {
  ok?: unknown;
  description?: unknown;
  parameters?: { retry_after?: unknown };
}

function parseAnswer(body: string): TelegramAnswer | null {
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed && typeof parsed === 'object' ? (parsed as TelegramAnswer) : null;
  } catch {
    return null;
  }
}

export function createTelegramChannel(opts: TelegramChannelOptions): Channel {
  // Messages name the option, never its value.
  if (!TELEGRAM_TOKEN_PATTERN.test(opts.botToken)) throw new Error('telegram botToken must look like "<digits>:<letters, digits, - or _>"');
  if (!TELEGRAM_CHAT_ID_PATTERN.test(opts.chatId)) throw new Error('telegram chatId must be a numeric chat id or "@channelname"');
  const base = parseEndpointUrl(opts.apiBaseUrl ?? 'https://api.telegram.org', { plainHttp: 'loopback-only' });
  const endpoint = `${base.href.replace(/\/+$/, '')}/bot${opts.botToken}/sendMessage`;
  const name = opts.name ?? 'telegram';
  const secrets = [opts.botToken];
  const poster = createJsonPoster({ label: name, timeoutMs: opts.timeoutMs, secrets });

  return {
    name,
    kind: 'telegram',
    async send(n, { signal } = {}) {
      const body = { chat_id: opts.chatId, text: toTelegramText(n), parse_mode: 'HTML', disable_web_page_preview: true };
      const res = await poster.post(endpoint, body, signal ? { signal } : {});
      const answer = parseAnswer(res.body);
      const success = res.status >= 200 && res.status < 300;
      if (success && answer?.ok === true) return;
      const description = typeof answer?.description === 'string' ? answer.description : excerpt(res.body) || '(empty body)';
      const retryAfter = answer?.parameters?.retry_after;
      throw new ChannelDeliveryError(redact(`${name}: sendMessage failed (${res.status}): ${description}`, secrets), {
        status: res.status,
        // A 2xx without ok:true is not the Bot API (wrong OUTPOST_ALERT_TELEGRAM_API_URL).
        retryable: !success && isRetryableStatus(res.status),
        retryAfterS: typeof retryAfter === 'number' && retryAfter >= 0 ? retryAfter : res.retryAfterS,
      });
    },
    async close() {
      poster.close();
    },
  };
}
