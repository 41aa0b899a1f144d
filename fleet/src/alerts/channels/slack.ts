// Slack incoming webhook: a one-line fallback `text` (what phone notifications show) and Block Kit
// `blocks` with the emoji, bold title, message and the facts underneath.
import { ChannelDeliveryError, excerpt, isRetryableStatus, redact } from './channel-error.js';
import { parseEndpointUrl } from './endpoint-url.js';
import { detailFields, emojiFor, oneLine, truncate } from './format.js';
import { createJsonPoster } from './json-poster.js';
import type { Channel, Notification } from './types.js';

export interface SlackChannelOptions {
  /** https://hooks.slack.com/services/…; the URL itself is the credential. */
  webhookUrl: string;
  timeoutMs: number;
  name?: string;
}

export type SlackBlock =
  | { type: 'section'; text: { type: 'mrkdwn'; text: string } }
  | { type: 'context'; elements: { type: 'mrkdwn'; text: string }[] };

export interface SlackPayload {
  text: string;
  blocks: SlackBlock[];
}

// Slack rejects a section whose text is longer than 3000 characters.
const TITLE_MAX = 250;
const MESSAGE_MAX = 2500;

/** Slack's mrkdwn control characters; everything else is shown as typed. */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function toSlackPayload(n: Notification): SlackPayload {
  const emoji = emojiFor(n);
  const title = escapeSlack(truncate(oneLine(n.title), TITLE_MAX));
  const message = n.message.trim() ? `\n${escapeSlack(truncate(n.message.trim(), MESSAGE_MAX))}` : '';
  const facts = detailFields(n).map((f) => `*${f.label}:* ${escapeSlack(f.value)}`);
  // `|` ends the URL part of a Slack link, so it is percent-encoded like any other URL character.
  if (n.url) facts.push(`<${escapeSlack(n.url.replace(/\|/g, '%7C'))}|Open in dashboard>`);
  return {
    text: `${emoji} ${title}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `${emoji} *${title}*${message}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: facts.join('  ·  ') }] },
    ],
  };
}

export function createSlackChannel(opts: SlackChannelOptions): Channel {
  const url = parseEndpointUrl(opts.webhookUrl, { plainHttp: 'loopback-only' });
  const name = opts.name ?? 'slack';
  // The whole path is the credential (/services/T…/B…/<secret>); the last segment is its secret part.
  const secrets = [url.href, url.pathname, url.pathname.split('/').pop() ?? ''];
  const poster = createJsonPoster({ label: name, timeoutMs: opts.timeoutMs, secrets });

  return {
    name,
    kind: 'slack',
    async send(n, { signal } = {}) {
      const res = await poster.post(url.href, toSlackPayload(n), signal ? { signal } : {});
      if (res.status === 200 && res.body.trim() === 'ok') return;
      // Slack answers errors as short codes ("invalid_payload", "no_service"); a proxy might echo more.
      throw new ChannelDeliveryError(redact(`${name}: webhook answered ${res.status}: ${excerpt(res.body) || '(empty body)'}`, secrets), {
        status: res.status,
        // A 200 that is not "ok" is not Slack at all: the URL points somewhere else.
        retryable: res.status !== 200 && isRetryableStatus(res.status),
        retryAfterS: res.retryAfterS,
      });
    },
    async close() {
      poster.close();
    },
  };
}
