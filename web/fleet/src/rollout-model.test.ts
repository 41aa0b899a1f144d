import { describe, expect, it } from 'vitest';
import { describeTarget, devicesWith, parseLabelSelector, progressSegments, targetFrom } from './rollout-model';

describe('rollout model', () => {
  it('splits the selected devices into the bar\'s segments, what is left being "not yet reported"', () => {
    const s = progressSegments({ selected: 10, updated: 4, postponed: 1, waiting_window: 2, failed: 1 });
    expect(s.map((x) => [x.key, x.count, x.pct])).toEqual([
      ['updated', 4, 40],
      ['postponed', 1, 10],
      ['waiting_window', 2, 20],
      ['failed', 1, 10],
      ['pending', 2, 20],
    ]);
    expect(progressSegments({ selected: 0, updated: 0, postponed: 0, waiting_window: 0, failed: 0 }).every((x) => x.pct === 0)).toBe(true);
  });

  it('lists the devices behind a count, sorted', () => {
    const devices = [
      { device: 'b', status: 'failed' as const },
      { device: 'a', status: 'failed' as const },
      { device: 'c', status: 'updated' as const },
    ];
    expect(devicesWith(devices, 'failed')).toEqual(['a', 'b']);
    expect(devicesWith(devices, 'pending')).toEqual([]);
  });

  it('reads a label selector and builds the target from group and labels', () => {
    expect(parseLabelSelector('site=lab, floor=1 kiosk')).toEqual({ labels: { site: 'lab', floor: '1', kiosk: '' } });
    expect(parseLabelSelector('a b=c=d')).toEqual({ labels: { a: '', b: 'c=d' } });
    expect(parseLabelSelector('=x')).toEqual({ error: 'label selector: "=x" is not key=value' });
    expect(targetFrom('', ' ')).toEqual({ target: null });
    expect(targetFrom(' lab ', '')).toEqual({ target: { group: 'lab' } });
    expect(targetFrom('lab', 'site=lab')).toEqual({ target: { group: 'lab', labels: { site: 'lab' } } });
  });

  it('says a target in words', () => {
    expect(describeTarget(null)).toBe('every device');
    expect(describeTarget({ group: 'lab', labels: { site: 'lab', kiosk: '' } })).toBe('group lab, site=lab, kiosk');
  });
});
