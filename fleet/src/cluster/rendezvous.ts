// Rendezvous (highest random weight) hashing: a device belongs to the live monitor whose hash of
// (monitor, device) is highest. Every monitor computes the same answer from the same list of live
// monitors, with no coordination; a monitor joining takes about 1/n of every other's devices and
// nothing else moves, a monitor leaving gives each of its devices to the runner-up for that device
// (held by rendezvous.test.ts).

/** FNV-1a over the string's UTF-16 code units, 32 bits. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i += 1) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** MurmurHash3's finaliser: every input bit reaches every output bit, and it is a bijection. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The weight of `monitor` for `device`: a device's hash and a monitor's, mixed together. */
export function weight(monitorHash: number, deviceHash: number): number {
  return mix(mix(deviceHash ^ monitorHash) ^ monitorHash);
}

export const hashOf = (s: string): number => mix(fnv1a(s));

/** Which of `monitors` owns `device`; null when there is none. Ties (one in 2^32) go to the smaller id. */
export function ownerOf(device: string, monitors: readonly string[]): string | null {
  const d = hashOf(device);
  let best: string | null = null;
  let bestW = -1;
  for (const m of monitors) {
    const w = weight(hashOf(m), d);
    if (w > bestW || (w === bestW && best !== null && m < best)) {
      best = m;
      bestW = w;
    }
  }
  return best;
}

/**
 * The owner of each device for one list of live monitors, with the monitors' hashes worked out once;
 * devices' hashes are kept between lists (they never change).
 */
export function createOwnerMap() {
  const deviceHashes = new Map<string, number>();
  return (devices: readonly string[], monitors: readonly string[]): Map<string, string> => {
    const ms = [...monitors].sort().map((m) => ({ m, h: hashOf(m) }));
    const out = new Map<string, string>();
    if (ms.length === 0) return out;
    for (const id of devices) {
      let d = deviceHashes.get(id);
      if (d === undefined) deviceHashes.set(id, (d = hashOf(id)));
      let best = ms[0]!.m;
      let bestW = weight(ms[0]!.h, d);
      for (let i = 1; i < ms.length; i += 1) {
        const w = weight(ms[i]!.h, d);
        if (w > bestW) {
          best = ms[i]!.m;
          bestW = w;
        }
      }
      out.set(id, best);
    }
    return out;
  };
}
