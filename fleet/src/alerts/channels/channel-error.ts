// Delivery failures carry only what the channel set needs to decide on a retry, and a message that
// is safe to log: never the bot token, webhook secret or SMTP password (see the telegram test
// 'never puts the bot token in errors or logs').

export class ChannelDeliveryError extends Error {
  /** HTTP status of the answer, null for network errors and SMTP. */
  readonly status: number | null;
  /** False when another attempt cannot help (bad token, unknown chat, rejected payload). */
  readonly retryable: boolean;
  /** Seconds the receiver asked us to wait (Telegram 429 parameters.retry_after). */
  readonly retryAfterS: number | null;

  constructor(message: string, opts: { status?: number | null; retryable?: boolean; retryAfterS?: number | null } = {}) {
    super(message);
    this.name = new.target.name;
    this.status = opts.status ?? null;
    this.retryable = opts.retryable ?? true;
    this.retryAfterS = opts.retryAfterS ?? null;
  }
}

/** 4xx answers are the receiver refusing this request for good, except "slow down" and "try again". */
export function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 425 || status === 429;
}

// Short secrets (a 3-letter header value) would blank out ordinary words; they are not worth hiding.
const MIN_SECRET_LENGTH = 6;

/** Replaces every occurrence of each secret (raw and URL-encoded) with "[redacted]". */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    for (const form of new Set([secret, encodeURIComponent(secret)])) {
      out = out.split(form).join('[redacted]');
    }
  }
  return out;
}

/** A one-line excerpt of a response body for error messages. */
export function excerpt(body: string, max = 200): string {
  const line = body.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max)}…` : line;
}
