// The contract between the alert engine (which decides WHAT to send) and the notification
// channels (which know HOW to reach people). Channels are stateless apart from their HTTP agent or
// SMTP transport; retries, rate limits and digests live in channel-set.ts.
import type { FastifyBaseLogger } from 'fastify';

export type NotificationKind = 'open' | 'reminder' | 'resolved' | 'digest';
export type Severity = 'info' | 'warning' | 'critical';

export interface Notification {
  kind: NotificationKind;
  /** Stable dedup key, e.g. "offline:kiosk-7". */
  alertId: string;
  deviceId: string | null;
  deviceName: string | null;
  /** e.g. 'device_offline', 'device_alert', 'disk', 'version_drift', 'payload', 'update' ('digest' for digests). */
  rule: string;
  severity: Severity;
  /** One line, e.g. "kiosk-7 is offline". */
  title: string;
  /** Detail text. */
  message: string;
  /** ISO time the alert opened. */
  since: string;
  /** ISO time of this notification. */
  at: string;
  /** Link to the device in the dashboard, if known. */
  url: string | null;
  /** For kind 'digest': the notifications rolled into it. */
  digest?: Notification[];
}

export type ChannelKind = 'webhook' | 'slack' | 'telegram' | 'email';

export interface SendOptions {
  /** Aborts the delivery in flight (the channel set uses it when it closes). */
  signal?: AbortSignal;
}

export interface Channel {
  readonly name: string;
  readonly kind: ChannelKind;
  /** Notifications below this severity skip the channel (routing by severity); unset: all. */
  readonly minSeverity?: Severity;
  /** Resolves once the receiver accepted the notification; rejects with a ChannelDeliveryError otherwise. */
  send(n: Notification, opts?: SendOptions): Promise<void>;
  /** Releases sockets/transports; idempotent. */
  close?(): Promise<void>;
}

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

/** Whether a notification of this severity goes to the channel. */
export const routedTo = (channel: Pick<Channel, 'minSeverity'>, severity: Severity): boolean =>
  SEVERITY_RANK[severity] >= SEVERITY_RANK[channel.minSeverity ?? 'info'];

/** Fastify's child loggers and plain pino loggers both fit. */
export type ChannelLog = Pick<FastifyBaseLogger, 'debug' | 'info' | 'warn' | 'error'>;
