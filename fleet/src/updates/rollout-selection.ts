// Which devices a rollout offers its version to (DESIGN.md, "Update server"). A hash of channel,
// version and device id puts every device in one of a hundred buckets, and a rollout at p% offers
// its version to buckets 0 … p-1: no per-device state, the same answer on every request, a fresh
// draw for every new version, and raising the percentage only ever adds devices. A target (a
// registry group and/or labels) narrows who the percentage is taken of: a device outside it is
// never selected, whatever its bucket.
import { createHash } from 'node:crypto';
import type { Device } from '../devices/device-registry.js';
import type { Rollout, RolloutTarget } from './update-tables.js';

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

/** A registry device as targeting sees it; a device without groups or labels is in no group and has no labels. */
export type TargetedDevice = Pick<Device, 'id'> & Partial<Pick<Device, 'groups' | 'labels'>>;

/** In the target: in its group (when it names one) and carrying each of its labels with the same value. No target: everyone. */
export function inTarget(target: RolloutTarget | null, device: TargetedDevice | undefined): boolean {
  if (target === null) return true;
  if (!device) return false;
  if (target.group !== undefined && !(device.groups ?? []).includes(target.group)) return false;
  for (const [k, v] of Object.entries(target.labels ?? {})) if (device.labels?.[k] !== v) return false;
  return true;
}

/** The registry as selection sees it: who counts as selected when working out a failure rate, and whom a target takes in. */
export interface SelectionRegistry {
  all(): ReadonlyArray<Pick<Device, 'id' | 'health'> & Partial<Pick<Device, 'groups' | 'labels'>>>;
  get?(id: string): TargetedDevice | undefined;
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
    /**
     * Registry devices the rollout selects: in its target, and in the hash's first `percent` buckets.
     * A device known (from its status) to follow another channel is not counted.
     */
    inRegistry(r: Pick<Rollout, 'channel' | 'version' | 'percent'> & Partial<Pick<Rollout, 'target'>>): Set<string> {
      const target = r.target ?? null;
      const cache = bucketsFor(r);
      const ids = new Set<string>();
      for (const d of registry.all()) {
        const reported = d.health.lastStatus?.appliance.update.channel;
        if (reported && reported !== r.channel) continue;
        if (!inTarget(target, d)) continue;
        let b = cache.get(d.id);
        if (b === undefined) cache.set(d.id, (b = rolloutBucket(r.channel, r.version, d.id)));
        if (b < r.percent) ids.add(d.id);
      }
      return ids;
    },

    /** Whether the rollout offers its version to `deviceId` (a targeted rollout: only to registry devices in the target). */
    selects(r: Pick<Rollout, 'channel' | 'version' | 'percent' | 'target'>, deviceId: string): boolean {
      if (r.target !== null && !inTarget(r.target, registry.get?.(deviceId))) return false;
      return isSelected(r.channel, r.version, deviceId, r.percent);
    },
  };
}

export type RolloutSelection = ReturnType<typeof createRolloutSelection>;
