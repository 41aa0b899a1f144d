// The devices the monitor watches, in memory: identity from the inventory, health from the poller.
import { initialHealth, type DeviceHealth } from '../poller/device-state.js';

export interface DeviceIdentity {
  id: string;
  name: string;
  address: string;
  port: number;
  groups: string[];
  labels: Record<string, string>;
}

export interface Device extends DeviceIdentity {
  health: DeviceHealth;
  nextPollAt: number;
  inflight: boolean;
  lastSnapshotAt: number;
  /** Changed since the store last saw it. */
  dirty: boolean;
}

export interface DeviceRegistry {
  all(): Device[];
  get(id: string): Device | undefined;
  size(): number;
  /** Make the registry match the inventory; health of devices that stay is kept. */
  sync(identities: DeviceIdentity[]): { added: string[]; removed: string[]; changed: string[] };
  /** Restore health remembered by the store (at start). */
  restore(id: string, health: Partial<DeviceHealth>): void;
}

export function createDeviceRegistry(): DeviceRegistry {
  const devices = new Map<string, Device>();
  let list: Device[] = [];
  const relist = () => {
    list = [...devices.values()];
  };
  return {
    all: () => list,
    get: (id) => devices.get(id),
    size: () => devices.size,
    sync(identities) {
      const seen = new Set<string>();
      const added: string[] = [];
      const changed: string[] = [];
      for (const ident of identities) {
        seen.add(ident.id);
        const existing = devices.get(ident.id);
        if (!existing) {
          devices.set(ident.id, { ...ident, health: initialHealth(), nextPollAt: 0, inflight: false, lastSnapshotAt: 0, dirty: true });
          added.push(ident.id);
          continue;
        }
        const moved = existing.address !== ident.address || existing.port !== ident.port;
        if (moved || existing.name !== ident.name || existing.groups.join() !== ident.groups.join() || JSON.stringify(existing.labels) !== JSON.stringify(ident.labels)) {
          Object.assign(existing, ident, { dirty: true });
          if (moved) existing.nextPollAt = 0;
          changed.push(ident.id);
        }
      }
      const removed = [...devices.keys()].filter((id) => !seen.has(id));
      for (const id of removed) devices.delete(id);
      relist();
      return { added, removed, changed };
    },
    restore(id, health) {
      const d = devices.get(id);
      if (d) Object.assign(d.health, health);
    },
  };
}
