// Email through any SMTP server with nodemailer. One connection per message: alerts are rare, and
// a pooled idle connection would be one more socket to outlive close().
import nodemailer from 'nodemailer';
import { ChannelDeliveryError, redact } from './channel-error.js';
import { isLoopbackHost } from './endpoint-url.js';
import { deviceLabel, oneLine } from './format.js';
import type { Channel, Notification } from './types.js';

export interface EmailChannelOptions {
  /** smtp://user:pass@host:port (STARTTLS), smtps://… (implicit TLS); see parseSmtpUrl. */
  smtpUrl: string;
  from: string;
  to: string[];
  timeoutMs: number;
  name?: string;
}

export interface SmtpSettings {
  host: string;
  port: number;
  /** Implicit TLS (smtps). */
  secure: boolean;
  /** Plain SMTP, no STARTTLS even if offered: loopback relays or an explicit ?tls=false. */
  ignoreTLS: boolean;
  /** STARTTLS is mandatory: credentials and alert text never cross the network in the clear. */
  requireTLS: boolean;
  auth: { user: string; pass: string } | null;
}

/**
 * smtps://host → implicit TLS (default port 465). smtp://host → STARTTLS required (port 587), except
 * for a loopback host or with ?tls=false, which speak plain SMTP (a local relay or test server).
 * Plain SMTP with credentials to a remote host is refused. Messages never echo the URL.
 */
export function parseSmtpUrl(value: string): SmtpSettings {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error('must be an smtp:// or smtps:// URL (it does not parse as a URL)');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new Error('must be an smtp:// or smtps:// URL');
  if (!url.hostname) throw new Error('must name a host (smtp://host:port)');
  for (const key of url.searchParams.keys()) {
    if (key !== 'tls') throw new Error(`has an unknown query parameter "${key}" (only tls=true|false is understood)`);
  }
  const tlsParam = url.searchParams.get('tls');
  if (tlsParam !== null && tlsParam !== 'true' && tlsParam !== 'false') throw new Error('has tls= set to something other than true or false');
  const secure = url.protocol === 'smtps:';
  if (secure && tlsParam === 'false') throw new Error('cannot be smtps:// with tls=false (use smtp:// for plain SMTP)');
  const auth = url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : null;
  const plain = !secure && (tlsParam === 'false' || (tlsParam === null && isLoopbackHost(url.hostname)));
  if (plain && auth && !isLoopbackHost(url.hostname)) {
    throw new Error('would send the SMTP password unencrypted to a non-loopback host (drop tls=false or use smtps://)');
  }
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    ignoreTLS: plain,
    requireTLS: !secure && !plain,
    auth,
  };
}

export function emailSubject(n: Notification): string {
  const tag = n.kind === 'resolved' ? 'RESOLVED' : n.severity.toUpperCase();
  return `[Outpost] ${tag} ${oneLine(n.title)}`;
}

// Email is the channel people archive, so a digest lists its notifications, up to a sane size.
const DIGEST_LINES_MAX = 500;

export function emailText(n: Notification): string {
  const rows: [string, string][] = [
    ['Kind', n.kind],
    ['Severity', n.severity],
    ['Rule', n.rule],
    ['Device', deviceLabel(n) ?? '-'],
    ['Alert ID', n.alertId],
    ['Since', n.since],
    ['At', n.at],
    ['Dashboard', n.url ?? '-'],
  ];
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const parts = [oneLine(n.title), '', n.message.trim() || '(no details)', '', ...rows.map(([l, v]) => `${`${l}:`.padEnd(width)}${v}`)];
  if (n.digest?.length) {
    parts.push('', `Notifications in this digest (${n.digest.length}):`);
    for (const d of n.digest.slice(0, DIGEST_LINES_MAX)) {
      const device = deviceLabel(d);
      parts.push(`- [${d.kind === 'resolved' ? 'resolved' : d.severity}] ${oneLine(d.title)}${device ? ` (${device})` : ''} since ${d.since}`);
    }
    if (n.digest.length > DIGEST_LINES_MAX) parts.push(`and ${n.digest.length - DIGEST_LINES_MAX} more alerts`);
  }
  return `${parts.join('\n')}\n`;
}

interface SmtpFailure {
  code?: unknown;
  responseCode?: unknown;
}

export function createEmailChannel(opts: EmailChannelOptions): Channel {
  const settings = (() => {
    try {
      return parseSmtpUrl(opts.smtpUrl);
    } catch (err) {
      throw new Error(`email smtpUrl ${(err as Error).message}`);
    }
  })();
  if (!opts.from.includes('@')) throw new Error('email from must be an address like "Outpost <alerts@example.com>"');
  if (opts.to.length === 0 || opts.to.some((a) => !a.includes('@'))) throw new Error('email to must list at least one address, each with an @');
  const name = opts.name ?? 'email';
  const secrets = settings.auth ? [settings.auth.pass, settings.auth.user] : [];
  const transport = nodemailer.createTransport({
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    ignoreTLS: settings.ignoreTLS,
    requireTLS: settings.requireTLS,
    ...(settings.auth ? { auth: settings.auth } : {}),
    connectionTimeout: opts.timeoutMs,
    greetingTimeout: opts.timeoutMs,
    socketTimeout: opts.timeoutMs,
    dnsTimeout: opts.timeoutMs,
    // After QUIT, wait only briefly for the server to hang up.
    socketCloseTimeout: 1000,
    logger: false,
  });
  let closed = false;

  return {
    name,
    kind: 'email',
    async send(n, { signal } = {}) {
      if (closed) throw new ChannelDeliveryError(`${name}: channel is closed`, { retryable: false });
      const controller = new AbortController();
      let timedOut = false;
      // The per-phase SMTP timeouts above do not bound a server that answers slowly at every step.
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, opts.timeoutMs);
      const onAbort = (): void => controller.abort();
      if (signal?.aborted) controller.abort();
      else signal?.addEventListener('abort', onAbort, { once: true });
      try {
        await transport.sendMail({
          from: opts.from,
          to: opts.to,
          subject: emailSubject(n),
          text: emailText(n),
          headers: { 'X-Outpost-Alert-Id': n.alertId, 'X-Outpost-Notification': n.kind },
          signal: controller.signal,
        });
      } catch (err) {
        const aborted = signal?.aborted === true;
        const failure = (err ?? {}) as SmtpFailure;
        const responseCode = typeof failure.responseCode === 'number' ? failure.responseCode : null;
        const reason = timedOut ? `no answer within ${opts.timeoutMs} ms` : aborted ? 'aborted' : err instanceof Error ? err.message : String(err);
        // 5xx SMTP replies and bad credentials are permanent; 4xx and network trouble are worth another try.
        const permanent = failure.code === 'EAUTH' || (responseCode !== null && responseCode >= 500);
        throw new ChannelDeliveryError(redact(`${name}: sending failed: ${reason}`, secrets), { retryable: !aborted && !permanent });
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      transport.close();
    },
  };
}
