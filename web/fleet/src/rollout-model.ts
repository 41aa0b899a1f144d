// What the Rollouts page shows, worked out without React: the progress segments of a rollout, the
// label selector typed into the start form, and a target in words. Tested in rollout-model.test.ts.
import type { RolloutBody, RolloutDevice, RolloutTargetView } from './api';

export type ProgressKey = 'updated' | 'postponed' | 'waiting_window' | 'failed' | 'pending';

export interface ProgressSegment {
  key: ProgressKey;
  label: string;
  count: number;
  /** Share of the selected devices, 0–100. */
  pct: number;
}

const LABELS: Record<ProgressKey, string> = {
  updated: 'updated',
  postponed: 'postponed',
  waiting_window: 'waiting for window',
  failed: 'failed',
  pending: 'not yet reported',
};

/** The bar's segments, in the order they are drawn; "not yet reported" is what the others leave of the selected. */
export function progressSegments(r: Pick<RolloutBody, 'selected' | 'updated' | 'postponed' | 'waiting_window' | 'failed'>): ProgressSegment[] {
  const pending = Math.max(0, r.selected - r.updated - r.postponed - r.waiting_window - r.failed);
  const total = Math.max(1, r.selected);
  const counts: Record<ProgressKey, number> = { updated: r.updated, postponed: r.postponed, waiting_window: r.waiting_window, failed: r.failed, pending };
  return (Object.keys(LABELS) as ProgressKey[]).map((key) => ({ key, label: LABELS[key], count: counts[key], pct: (counts[key] / total) * 100 }));
}

/** The devices behind one count, sorted by id. */
export function devicesWith(devices: readonly RolloutDevice[], key: ProgressKey): string[] {
  return devices
    .filter((d) => d.status === key)
    .map((d) => d.device)
    .sort();
}

/** "site=lab, floor=1" (commas or spaces between pairs; a bare key means an empty value) → labels. */
export function parseLabelSelector(text: string): { labels: Record<string, string> } | { error: string } {
  const labels: Record<string, string> = {};
  for (const part of text.split(/[,\s]+/).filter(Boolean)) {
    const eq = part.indexOf('=');
    const key = eq === -1 ? part : part.slice(0, eq);
    if (!/^[A-Za-z0-9_.\-/]+$/.test(key)) return { error: `label selector: ${JSON.stringify(part)} is not key=value` };
    labels[key] = eq === -1 ? '' : part.slice(eq + 1);
  }
  return { labels };
}

/** The target for POST /api/rollouts/:channel from the form's group and selector; null: every device. */
export function targetFrom(group: string, selector: string): { target: RolloutTargetView | null } | { error: string } {
  const parsed = parseLabelSelector(selector);
  if ('error' in parsed) return parsed;
  const g = group.trim();
  const hasLabels = Object.keys(parsed.labels).length > 0;
  if (!g && !hasLabels) return { target: null };
  return { target: { ...(g ? { group: g } : {}), ...(hasLabels ? { labels: parsed.labels } : {}) } };
}

export function describeTarget(t: RolloutTargetView | null): string {
  if (t === null) return 'every device';
  const parts = [...(t.group !== undefined ? [`group ${t.group}`] : []), ...Object.entries(t.labels ?? {}).map(([k, v]) => (v ? `${k}=${v}` : k))];
  return parts.join(', ');
}
