// Rows of the versions page: each version's share of the fleet, the target marked.
import { pct } from '@common/format';
import type { VersionCount } from './api';

export interface VersionRow extends VersionCount {
  isTarget: boolean;
  /** Share of all devices, 0–100. */
  sharePct: number;
  /** Share of all devices that run this version and are online, 0–100. */
  onlinePct: number;
}

/** In the server's order (most devices first), with the target first when it is present. */
export function versionRows(versions: VersionCount[], target: string | null): VersionRow[] {
  const total = versions.reduce((n, v) => n + v.count, 0);
  const rows = versions.map((v) => ({ ...v, isTarget: v.version === target, sharePct: pct(v.count, total), onlinePct: pct(v.online, total) }));
  return [...rows.filter((r) => r.isTarget), ...rows.filter((r) => !r.isTarget)];
}
