import { describe, expect, it } from 'vitest';
import { createOwnerMap, ownerOf } from './rendezvous.js';

const devices = Array.from({ length: 30_000 }, (_, i) => `dev-${String(i).padStart(5, '0')}`);

describe('rendezvous hashing', () => {
  it('splits devices evenly among monitors, the same way whatever the order of the list', () => {
    const owners = createOwnerMap()(devices, ['m3', 'm1', 'm2']);
    const share = new Map<string, number>();
    for (const m of owners.values()) share.set(m, (share.get(m) ?? 0) + 1);
    for (const m of ['m1', 'm2', 'm3']) expect(share.get(m)! / devices.length).toBeGreaterThan(0.3);
    for (const id of devices.slice(0, 500)) expect(ownerOf(id, ['m2', 'm3', 'm1'])).toBe(owners.get(id));
  });

  it('moves only the leaving monitor devices, and a joining monitor takes only from others its own share', () => {
    const map = createOwnerMap();
    const three = map(devices, ['m1', 'm2', 'm3']);
    const two = map(devices, ['m1', 'm2']);
    let moved = 0;
    for (const id of devices) {
      if (three.get(id) !== 'm3') expect(two.get(id)).toBe(three.get(id));
      else moved += 1;
    }
    expect(moved).toBe([...three.values()].filter((m) => m === 'm3').length);
    const four = map(devices, ['m1', 'm2', 'm3', 'm4']);
    for (const id of devices) if (four.get(id) !== 'm4') expect(four.get(id)).toBe(three.get(id));
    const taken = [...four.values()].filter((m) => m === 'm4').length / devices.length;
    expect(taken).toBeGreaterThan(0.2);
    expect(taken).toBeLessThan(0.3);
  });

  it('has no owner without monitors', () => {
    expect(ownerOf('dev-1', [])).toBeNull();
    expect(createOwnerMap()(devices.slice(0, 3), []).size).toBe(0);
  });
});
