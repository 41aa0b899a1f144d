// Text pieces every human-facing channel (Slack, Telegram, email) shows the same way, so a
// notification reads alike wherever it lands. Escaping is each channel's job.
import type { Notification } from './types.js';

export function emojiFor(n: Pick<Notification, 'kind' | 'severity'>): string {
  switch (n.kind) {
    case 'resolved':
      return '✅';
    case 'reminder':
      return '🔁';
    case 'digest':
      return '📋';
    case 'open':
      return n.severity === 'critical' ? '🔴' : n.severity === 'warning' ? '🟠' : '🔵';
  }
}

/** "kiosk-7 (dev-123)", "kiosk-7", "dev-123" or null when the alert is not about one device. */
export function deviceLabel(n: Pick<Notification, 'deviceId' | 'deviceName'>): string | null {
  if (n.deviceName && n.deviceId && n.deviceName !== n.deviceId) return `${n.deviceName} (${n.deviceId})`;
  return n.deviceName ?? n.deviceId ?? null;
}

export interface DetailField {
  label: string;
  value: string;
}

/** The facts under the title, in display order; the dashboard link is left to each channel. */
export function detailFields(n: Notification): DetailField[] {
  const fields: DetailField[] = [];
  const device = deviceLabel(n);
  if (device) fields.push({ label: 'Device', value: device });
  if (n.kind !== 'digest') fields.push({ label: 'Rule', value: n.rule });
  fields.push({ label: 'Severity', value: n.severity });
  fields.push({ label: 'Since', value: n.since });
  if (n.kind === 'resolved') fields.push({ label: 'Resolved', value: n.at });
  return fields;
}

/** Cuts text to at most max characters (code points), marking the cut. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/** Titles go into one-line places (Slack bold, email subject): newlines would break them. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
