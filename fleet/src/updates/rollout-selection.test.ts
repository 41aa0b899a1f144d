import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Device } from '../devices/device-registry.js';
import { createRolloutSelection, inTarget, isSelected, rolloutBucket, stableHash } from './rollout-selection.js';

const ids = (n: number, prefix = 'dev-') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('stableHash and selection', () => {
  it('is the first four bytes of SHA-256 as an unsigned big-endian integer', () => {
    // sha256("abc") = ba7816bf 8f01cfea …
    expect(stableHash('abc')).toBe(0xba7816bf);
    expect(stableHash('')).toBe(0xe3b0c442);
  });

  it('selects about half of 10,000 devices at 50%', () => {
    const selected = ids(10_000).filter((id) => isSelected('stable', '1.4.0', id, 50)).length;
    expect(selected).toBeGreaterThanOrEqual(4500);
    expect(selected).toBeLessThanOrEqual(5500);
  });

  it('spreads devices evenly over the hundred buckets', () => {
    const counts = new Array<number>(10).fill(0);
    for (const id of ids(10_000)) counts[Math.floor(rolloutBucket('stable', '1.4.0', id) / 10)]!++;
    for (const c of counts) {
      expect(c).toBeGreaterThan(850);
      expect(c).toBeLessThan(1150);
    }
  });

  it('gives a device the same answer on every request, and raising the percent only adds devices', () => {
    const all = ids(2000);
    const at = (p: number) => new Set(all.filter((id) => isSelected('stable', '2.0.0', id, p)));
    expect([...at(30)]).toEqual([...at(30)]);
    const ten = at(10);
    const fifty = at(50);
    for (const id of ten) expect(fifty.has(id)).toBe(true);
    expect(at(0).size).toBe(0);
    expect(at(100).size).toBe(all.length);
  });

  it('draws afresh for another version or channel', () => {
    const all = ids(2000);
    const a = all.filter((id) => isSelected('stable', '2.0.0', id, 50));
    const b = all.filter((id) => isSelected('stable', '2.0.1', id, 50));
    const c = all.filter((id) => isSelected('beta', '2.0.0', id, 50));
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('keeps the hash helper consistent with SHA-256 of channel:version:device', () => {
    const h = createHash('sha256').update('stable:1.1.0:kiosk-1').digest().readUInt32BE(0);
    expect(rolloutBucket('stable', '1.1.0', 'kiosk-1')).toBe(h % 100);
  });
});

describe('createRolloutSelection', () => {
  const device = (id: string, channel?: string) =>
    ({ id, health: { lastStatus: channel ? { appliance: { update: { channel } } } : null } }) as unknown as Pick<Device, 'id' | 'health'>;

  it('selects the registry devices the hash puts under the percent, leaving out devices that follow another channel', () => {
    const registry = [...ids(200).map((id) => device(id)), ...ids(50, 'beta-').map((id) => device(id, 'beta')), device('mine-0', 'stable')];
    const selection = createRolloutSelection({ all: () => registry });
    const expected = [...ids(200), 'mine-0'].filter((id) => isSelected('stable', '1.1.0', id, 30));
    expect([...selection.inRegistry({ channel: 'stable', version: '1.1.0', percent: 30 })].sort()).toEqual(expected.sort());
  });

  it('draws afresh when the channel moves on to another version, and counts devices added since', () => {
    const registry = ids(500).map((id) => device(id));
    const selection = createRolloutSelection({ all: () => registry });
    selection.inRegistry({ channel: 'stable', version: '1.1.0', percent: 50 });
    registry.push(device('late-1'), device('late-2'));
    const now = selection.inRegistry({ channel: 'stable', version: '1.2.0', percent: 50 });
    expect([...now].sort()).toEqual(registry.map((d) => d.id).filter((id) => isSelected('stable', '1.2.0', id, 50)).sort());
  });

  it('takes the percent of the target only: its group and labels, every label matching', () => {
    const tagged = (id: string, groups: string[], labels: Record<string, string>) => ({ ...device(id), groups, labels });
    const registry = [
      ...ids(100, 'lab-').map((id) => tagged(id, ['kiosks'], { site: 'lab', floor: '1' })),
      ...ids(100, 'shop-').map((id) => tagged(id, ['kiosks'], { site: 'shop' })),
      ...ids(100, 'bare-').map((id) => device(id)),
    ];
    const byId = new Map(registry.map((d) => [d.id, d]));
    const selection = createRolloutSelection({ all: () => registry, get: (id) => byId.get(id) });
    const r = { channel: 'stable', version: '1.1.0', percent: 50, target: { labels: { site: 'lab' } } };
    const chosen = selection.inRegistry(r);
    expect([...chosen].sort()).toEqual(ids(100, 'lab-').filter((id) => isSelected('stable', '1.1.0', id, 50)).sort());
    for (const id of byId.keys()) expect(selection.selects(r, id)).toBe(chosen.has(id));
    // A device the registry does not know is in no target.
    expect(selection.selects({ ...r, percent: 100 }, 'stranger')).toBe(false);
    expect(selection.selects({ ...r, percent: 100, target: null }, 'stranger')).toBe(true);
    expect(selection.inRegistry({ ...r, percent: 100, target: { group: 'kiosks' } }).size).toBe(200);
    expect(selection.inRegistry({ ...r, percent: 100, target: { group: 'kiosks', labels: { site: 'lab', floor: '2' } } }).size).toBe(0);
  });
});

describe('inTarget', () => {
  const d = { id: 'k1', groups: ['kiosks', 'north'], labels: { site: 'lab', role: '' } };
  it('matches everyone without a target, and a group or labels with one', () => {
    expect(inTarget(null, undefined)).toBe(true);
    expect(inTarget({ group: 'north' }, d)).toBe(true);
    expect(inTarget({ group: 'south' }, d)).toBe(false);
    expect(inTarget({ labels: { site: 'lab', role: '' } }, d)).toBe(true);
    expect(inTarget({ labels: { site: 'shop' } }, d)).toBe(false);
    expect(inTarget({ labels: { missing: '' } }, d)).toBe(false);
    expect(inTarget({ group: 'kiosks' }, { id: 'x' })).toBe(false);
    expect(inTarget({ group: 'kiosks' }, undefined)).toBe(false);
  });
});
