import { describe, expect, it } from 'vitest';
import { EMPTY_FILTERS, counterRows, deviceIdFromPath, filtersFromSearch, filtersToSearch, offTarget, onlyStatus, pageSpan, toggleStatus } from './device-model';

describe('device list filters', () => {
  it('round-trip through the query string, dropping unknown statuses', () => {
    const f = { statuses: ['online' as const, 'offline' as const], group: 'eu west', version: '1.4.0', q: 'shop', polledBy: 'mon-2:9000' };
    expect(filtersFromSearch(filtersToSearch(f))).toEqual(f);
    expect(filtersFromSearch('?status=online,bogus')).toEqual({ ...EMPTY_FILTERS, statuses: ['online'] });
    expect(filtersToSearch(EMPTY_FILTERS)).toBe('');
  });

  it('keep the server order when a status chip is toggled', () => {
    expect(toggleStatus(['offline'], 'online')).toEqual(['online', 'offline']);
    expect(toggleStatus(['online', 'offline'], 'online')).toEqual(['offline']);
  });

  it('show one status from a summary card, and everything on a second click', () => {
    expect(onlyStatus(['online', 'offline'], 'offline')).toEqual(['offline']);
    expect(onlyStatus(['offline'], 'offline')).toEqual([]);
  });
});

describe('pageSpan', () => {
  it('covers the rows on screen plus the pages a short scroll away', () => {
    expect(pageSpan(0, 20, 10_000, 200)).toEqual([0, 0]);
    expect(pageSpan(180, 195, 10_000, 200)).toEqual([0, 1]);
    expect(pageSpan(9_980, 9_999, 10_000, 200)).toEqual([49, 49]);
  });

  it('asks for the first page while the total is unknown', () => {
    expect(pageSpan(0, 0, 0, 200)).toEqual([0, 0]);
  });
});

describe('device paths and versions', () => {
  it('reads the device id of /devices/<id>, encoded or not', () => {
    expect(deviceIdFromPath('/devices/shop%2F1')).toBe('shop/1');
    expect(deviceIdFromPath('/devices/web01/')).toBe('web01');
    expect(deviceIdFromPath('/devices')).toBeNull();
    expect(deviceIdFromPath('/versions')).toBeNull();
  });

  it('marks a version off target only when a target is set and the version is known', () => {
    expect(offTarget('1.3.0', '1.4.0')).toBe(true);
    expect(offTarget('1.4.0', '1.4.0')).toBe(false);
    expect(offTarget(null, '1.4.0')).toBe(false);
    expect(offTarget('1.3.0', null)).toBe(false);
  });
});

describe('counterRows', () => {
  it('gives one row per protocol, in order, with the reasons spelled out and zero counts left out', () => {
    const rows = counterRows({
      playwright: { created: 5, claimed_from_pool: 4, queued: 1, rejected: { host_overloaded: 2, capacity_exceeded: 1 }, queue_timeouts: 0, ended: { disconnected: 5 } },
      api: { created: 1, claimed_from_pool: 0, queued: 0, rejected: { draining: 0 }, queue_timeouts: 1, ended: {} },
    });
    expect(rows).toEqual([
      { protocol: 'api', created: 1, fromPool: 0, queued: 0, rejected: '0', queueTimeouts: 1, ended: '0' },
      { protocol: 'playwright', created: 5, fromPool: 4, queued: 1, rejected: '1 capacity_exceeded, 2 host_overloaded', queueTimeouts: 0, ended: '5 disconnected' },
    ]);
    expect(counterRows(undefined)).toEqual([]);
  });
});
