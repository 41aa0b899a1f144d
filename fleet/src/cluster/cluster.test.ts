// The cluster's own logic: leases, shares, the leader, and a monitor that loses the store. Two
// monitors in one process over one real SQLite store made to look shared, with a fake leader lock
// (PostgreSQL's advisory lock is cluster.int.test.ts's: three monitor processes on a real server).
// Deadlines are the promise (the lease plus a tick) with room, never this machine's speed.
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../../device/test/index.js';
import { MIGRATIONS } from '../store/migrations.js';
import { openSqliteDatabase } from '../store/sqlite-database.js';
import type { StoreDatabase } from '../store/store-database.js';
import { createCluster, type Cluster } from './cluster.js';

const LEASE_MS = 1000;
const DEVICES = Array.from({ length: 200 }, (_, i) => `dev-${i}`);
const log = pino({ level: 'silent' });

describe('monitors sharing a store', () => {
  const dir = tempDir('outpost-cluster-');
  let db: StoreDatabase;
  let holder: string | null = null;
  const failing = new Set<string>();
  const clusters: Cluster[] = [];

  /** The store as one monitor sees it: shared, its clock failing while `failing` names it, the one lock. */
  function storeFor(id: string): StoreDatabase {
    return {
      ...db,
      shared: true,
      now: async () => {
        if (failing.has(id)) throw new Error('connection refused');
        return Date.now();
      },
      leaderLock: () => ({
        hold: async () => {
          if (failing.has(id)) return false;
          if (holder === null) holder = id;
          return holder === id;
        },
        held: () => holder === id,
        release: async () => {
          if (holder === id) holder = null;
        },
      }),
    };
  }

  function monitor(id: string, leaseMs = LEASE_MS): Cluster {
    const c = createCluster({ db: storeFor(id), self: id, url: `http://${id}`, version: '1.0.0', leaseMs, deviceIds: () => DEVICES, stats: () => ({ devices: 0, last_cycle: null, rss_bytes: null }), log });
    clusters.push(c);
    return c;
  }

  const share = (c: Cluster) => DEVICES.filter((d) => c.owns(d)).length;
  const waitShares = (what: string, check: () => boolean) => waitFor(check, { timeoutMs: 10 * LEASE_MS, intervalMs: 20, what });

  beforeEach(() => {
    db = openSqliteDatabase(join(dir.path, `fleet-${Math.random().toString(36).slice(2)}.sqlite`), MIGRATIONS);
    holder = null;
    failing.clear();
  });
  afterEach(async () => {
    for (const c of clusters.splice(0)) await c.stop();
    await db.close();
  });

  it('splits the devices between the live monitors, with exactly one leader', async () => {
    const [a, b] = [monitor('a'), monitor('b')];
    await Promise.all([a.start(), b.start()]);
    await waitShares('both to see both', () => a.live().length === 2 && b.live().length === 2);
    expect(share(a) + share(b)).toBe(DEVICES.length);
    expect(share(a)).toBeGreaterThan(50);
    expect(share(b)).toBeGreaterThan(50);
    for (const d of DEVICES) expect(a.ownerOf(d)).toBe(b.ownerOf(d));
    expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
    const list = await a.monitors();
    expect(list.map((m) => [m.id, m.alive, m.self])).toEqual([
      ['a', true, true],
      ['b', true, false],
    ]);
  });

  it('stops polling and leading on its own once it cannot renew its lease for a lease; the other takes everything, and shares again when it is back', async () => {
    const [a, b] = [monitor('a'), monitor('b')];
    const lost: string[] = [];
    a.onOwnership((_gained, l) => lost.push(...l));
    await a.start();
    await waitShares('a to lead', () => a.isLeader());
    await b.start();
    await waitShares('both to see both', () => a.live().length === 2 && b.live().length === 2);
    const aShare = share(a);

    lost.length = 0;
    failing.add('a');
    const cutAt = Date.now();
    await waitShares('a to give up', () => share(a) === 0 && !a.isLeader());
    await waitShares('b to take all', () => share(b) === DEVICES.length && b.isLeader());
    // b took a's devices once a's lease lapsed: within the lease and a tick of the cut, with room.
    expect(Date.now() - cutAt).toBeLessThan(LEASE_MS + a.tickMs + 2 * LEASE_MS);
    expect(lost).toHaveLength(aShare);
    expect((await b.monitors()).find((m) => m.id === 'a')?.alive).toBe(false);

    failing.delete('a');
    await waitShares('the shares to come back', () => share(a) === aShare && share(b) === DEVICES.length - aShare);
    expect([a.isLeader(), b.isLeader()].filter(Boolean)).toHaveLength(1);
  });

  it('ends its lease when stopped, so the other takes its devices at its next tick, not after the lease', async () => {
    // A long lease (ticks of 1 s): taking over before it lapses can only come from the lease ended.
    const lease = 6000;
    const [a, b] = [monitor('a', lease), monitor('b', lease)];
    await Promise.all([a.start(), b.start()]);
    await waitShares('both to see both', () => a.live().length === 2 && b.live().length === 2);
    await a.stop();
    await waitFor(() => share(b) === DEVICES.length, { timeoutMs: lease - 1000, intervalMs: 10, what: 'b to take all before the lease lapses' });
    await waitShares('b to lead', () => b.isLeader());
  });

  it('is alone and leads with a store that is not shared', async () => {
    const c = createCluster({ db, self: 'solo', url: 'http://solo', version: '1.0.0', leaseMs: LEASE_MS, deviceIds: () => DEVICES, stats: () => ({ devices: 200, last_cycle: null, rss_bytes: null }), log });
    await c.start();
    expect(c.mode).toBe('single');
    expect(c.isLeader()).toBe(true);
    expect(DEVICES.every((d) => c.owns(d) && c.ownerOf(d) === 'solo')).toBe(true);
    expect((await c.monitors()).map((m) => [m.id, m.alive, m.leader, m.self, m.devices])).toEqual([['solo', true, true, true, 200]]);
    await c.stop();
  });
});
