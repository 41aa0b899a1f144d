// Rolls notifications held back by a channel's rate limit into one, so an outage of 10,000 devices
// sends a handful of messages instead of 10,000 (channel-set test 'rolls the waiting
// notifications into one digest').
import { emojiFor, oneLine } from './format.js';
import type { Notification, Severity } from './types.js';

/** How many of the rolled-up notifications the digest text lists before "and N more alerts". */
export const DIGEST_LISTED = 10;

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };
const KIND_WORDS = { open: 'opened', reminder: 'still open', resolved: 'resolved' } as const;

export function buildDigest(items: readonly Notification[], at: Date): Notification {
  // A digest that failed and is rolled up again must not nest.
  const flat = items.flatMap((n) => (n.kind === 'digest' ? (n.digest ?? []) : [n]));
  const counts = { open: 0, reminder: 0, resolved: 0 };
  let severity: Severity = 'info';
  let since = flat[0]?.since ?? at.toISOString();
  for (const n of flat) {
    if (n.kind !== 'digest') counts[n.kind] += 1;
    // A resolved alert is good news: it does not make the digest more urgent.
    if (n.kind !== 'resolved' && SEVERITY_RANK[n.severity] > SEVERITY_RANK[severity]) severity = n.severity;
    if (n.since < since) since = n.since;
  }
  const summary = (Object.keys(counts) as (keyof typeof counts)[])
    .filter((k) => counts[k] > 0)
    .map((k) => `${counts[k]} ${KIND_WORDS[k]}`)
    .join(', ');
  const lines = flat.slice(0, DIGEST_LISTED).map((n) => `${emojiFor(n)} ${oneLine(n.title)}`);
  if (flat.length > DIGEST_LISTED) lines.push(`and ${flat.length - DIGEST_LISTED} more alerts`);
  const iso = at.toISOString();
  return {
    kind: 'digest',
    alertId: `digest:${iso}`,
    deviceId: null,
    deviceName: null,
    rule: 'digest',
    severity,
    title: `${flat.length} alert notifications (${summary})`,
    message: lines.join('\n'),
    since,
    at: iso,
    url: null,
    digest: flat,
  };
}
