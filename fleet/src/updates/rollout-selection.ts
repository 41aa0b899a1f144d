// Which devices a rollout offers its version to (DESIGN.md, "Update server"). A hash of channel,
// version and device id puts every device in one of a hundred buckets, and a rollout at p% offers
// its version to buckets 0 … p-1: no per-device state, the same answer on every request, a fresh
// draw for every new version, and raising the percentage only ever adds devices.
import { createHash } from 'node:crypto';
import type { Device } from '../devices/device-registry.js';
import type { Rollout } from './update-tables.js';

/** First 4 bytes of SHA-256, as an unsigned 32-bit integer. Spread and stability: rollout-selection.test.ts. */
export function stableHash(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

export function rolloutBucket(channel: string, version: string, deviceId: string): number {
  return stableHash(`${channel}:${version}:${deviceId}`) % 100;
}

export function isSelected(channel: string, version: string, deviceId: string, percent: number): boolean {
  return rolloutBucket(channel, version, deviceId) < percent;
}

/** The registry as selection sees it: who counts as selected when working out a failure rate. */
export interface SelectionRegistry {
  all(): ReadonlyArray<Pick<Device, 'id' | 'health'>>;
}

export function createRolloutSelection(registry: SelectionRegistry) {
  // Per channel:version, each registry device's bucket: counting selected devices of a
  // 10,000-device fleet on every failure report must not hash 10,000 ids each time.
  const buckets = new Map<string, Map<string, number>>();

  function bucketsFor(r: Pick<Rollout, 'channel' | 'version'>): Map<string, number> {
    const key = `${r.channel}:${r.version}`;
    let m = buckets.get(key);
    if (!m) {
      // One version per channel is rolled out at a time: the previous one's buckets are done with.
      for (const k of buckets.keys()) if (k.startsWith(`${r.channel}:`)) buckets.delete(k);
      buckets.set(key, (m = new Map()));
    }
    return m;
  }

  return {
    /** Registry devices the hash selects. A device known (from its status) to follow another channel is not counted. */
    inRegistry(r: Pick<Rollout, 'channel' | 'version' | 'percent'>): Set<string> {
      const cache = bucketsFor(r);
      const ids = new Set<string>();
      for (const d of registry.all()) {
        const reported = d.health.lastStatus?.appliance.update.channel;
        if (reported && reported !== r.channel) continue;
        let b = cache.get(d.id);
        if (b === undefined) cache.set(d.id, (b = rolloutBucket(r.channel, r.version, d.id)));
        if (b < r.percent) ids.add(d.id);
      }
      return ids;
    },
  };
}

export type RolloutSelection = ReturnType<typeof createRolloutSelection>;
