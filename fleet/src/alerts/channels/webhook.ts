// Generic JSON webhook: the notification as snake_case JSON, for scripts and other systems.
import { ChannelDeliveryError, excerpt, isRetryableStatus, redact } from './channel-error.js';
import { parseEndpointUrl } from './endpoint-url.js';
import { createJsonPoster } from './json-poster.js';
import type { Channel, Notification } from './types.js';

export interface WebhookChannelOptions {
  url: string;
  /** Extra request headers, e.g. an Authorization header the receiver checks. */
  headers?: Record<string, string>;
  timeoutMs: number;
  /** Defaults to "webhook"; set it when a process has more than one. */
  name?: string;
}

export interface WebhookAlert {
  kind: Notification['kind'];
  alert_id: string;
  device_id: string | null;
  device_name: string | null;
  rule: string;
  severity: Notification['severity'];
  title: string;
  message: string;
  since: string;
  at: string;
  url: string | null;
}

export interface WebhookPayload extends WebhookAlert {
  /** Kind 'digest' only: the rolled-up notifications, at most DIGEST_PAYLOAD_MAX of them. */
  digest?: WebhookAlert[];
  /** Kind 'digest' only: how many notifications the digest stands for. */
  digest_total?: number;
}

// A 10,000-device outage digest would be megabytes of JSON; receivers often cap bodies at 1 MB or less.
export const DIGEST_PAYLOAD_MAX = 500;

function toAlert(n: Notification): WebhookAlert {
  return {
    kind: n.kind,
    alert_id: n.alertId,
    device_id: n.deviceId,
    device_name: n.deviceName,
    rule: n.rule,
    severity: n.severity,
    title: n.title,
    message: n.message,
    since: n.since,
    at: n.at,
    url: n.url,
  };
}

export function toWebhookPayload(n: Notification): WebhookPayload {
  const payload: WebhookPayload = toAlert(n);
  if (n.digest) {
    payload.digest = n.digest.slice(0, DIGEST_PAYLOAD_MAX).map(toAlert);
    payload.digest_total = n.digest.length;
  }
  return payload;
}

export function createWebhookChannel(opts: WebhookChannelOptions): Channel {
  const url = parseEndpointUrl(opts.url, { plainHttp: 'allowed' });
  const name = opts.name ?? 'webhook';
  const headers = { ...opts.headers };
  // The URL's userinfo and query, and custom header values, are where webhook credentials live.
  const secrets = [url.username, url.password, url.search.slice(1), ...url.searchParams.values(), ...Object.values(headers)].filter(Boolean);
  const poster = createJsonPoster({ label: name, timeoutMs: opts.timeoutMs, secrets });

  return {
    name,
    kind: 'webhook',
    async send(n, { signal } = {}) {
      const res = await poster.post(url.href, toWebhookPayload(n), { headers, ...(signal ? { signal } : {}) });
      if (res.status < 200 || res.status >= 300) {
        throw new ChannelDeliveryError(redact(`${name}: receiver answered ${res.status}: ${excerpt(res.body) || '(empty body)'}`, secrets), {
          status: res.status,
          retryable: isRetryableStatus(res.status),
          retryAfterS: res.retryAfterS,
        });
      }
    },
    async close() {
      poster.close();
    },
  };
}
