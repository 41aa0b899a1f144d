// The HTTP client the webhook, Slack and Telegram channels share. Each channel owns its agents so
// close() can destroy its sockets; errors are rebuilt from scratch (never the axios error, whose
// config.url would carry the Telegram bot token or the Slack webhook secret into the logs).
// Not the device client (devices/device-http.ts) on purpose: that one speaks plain HTTP over the
// VPN with the device token on every request and keeps sockets per device; this one reaches
// third parties over HTTPS, must never carry the device token, keeps no sockets, and redacts
// the secrets in its own URLs.
import http from 'node:http';
import https from 'node:https';
import axios from 'axios';
import { ChannelDeliveryError, redact } from './channel-error.js';

export interface HttpAnswer {
  status: number;
  body: string;
  /** A Retry-After header given in seconds (Slack and many webhooks send one with 429), else null. */
  retryAfterS: number | null;
}

export interface JsonPoster {
  post(url: string, body: unknown, opts?: { headers?: Record<string, string>; signal?: AbortSignal }): Promise<HttpAnswer>;
  /** Destroys the sockets of requests still in flight; idempotent. */
  close(): void;
}

// Receivers answer "ok" or a small JSON object; anything bigger is not worth buffering.
const MAX_ANSWER_BYTES = 64 * 1024;

export function createJsonPoster(opts: { label: string; timeoutMs: number; secrets: readonly string[] }): JsonPoster {
  const { label, timeoutMs, secrets } = opts;
  // No keep-alive: alerts are rare, and an idle pooled socket would be one more thing to outlive close().
  const httpAgent = new http.Agent({ keepAlive: false });
  const httpsAgent = new https.Agent({ keepAlive: false });
  const client = axios.create({
    httpAgent,
    httpsAgent,
    // A redirect would re-send custom headers (webhook auth) somewhere the operator did not configure.
    maxRedirects: 0,
    validateStatus: () => true,
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    maxContentLength: MAX_ANSWER_BYTES,
    headers: { 'content-type': 'application/json', 'user-agent': 'outpost-fleet' },
  });
  let closed = false;

  return {
    async post(url, body, { headers, signal } = {}) {
      if (closed) throw new ChannelDeliveryError(`${label}: channel is closed`, { retryable: false });
      const controller = new AbortController();
      let timedOut = false;
      // axios' own `timeout` only watches socket inactivity; this bounds the whole request.
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, timeoutMs);
      const onAbort = (): void => controller.abort();
      if (signal?.aborted) controller.abort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const res = await client.post<unknown>(url, JSON.stringify(body), { headers: headers ?? {}, signal: controller.signal });
        const retryAfter = Number(res.headers['retry-after']);
        return {
          status: res.status,
          body: typeof res.data === 'string' ? res.data : '',
          retryAfterS: Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : null,
        };
      } catch (err) {
        const aborted = signal?.aborted === true;
        const reason = timedOut ? `no answer within ${timeoutMs} ms` : aborted ? 'aborted' : describeError(err);
        throw new ChannelDeliveryError(redact(`${label}: request failed: ${reason}`, secrets), { retryable: !aborted });
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      }
    },
    close() {
      if (closed) return;
      closed = true;
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function describeError(err: unknown): string {
  if (axios.isAxiosError(err)) return err.code && !err.message.includes(err.code) ? `${err.code} ${err.message}` : err.message;
  return err instanceof Error ? err.message : String(err);
}
