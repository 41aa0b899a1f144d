// Monitors sharing the fleet (DESIGN.md, "Store"). With a PostgreSQL store ("shared" mode) any
// number of identical monitors run against one database:
// - each renews a lease, its row in `monitors` (monitor-tables.ts), every tick (a fifth of the
//   lease, at most 3 s), counted on the database's clock so that the machines' clocks do not matter;
// - the monitors whose lease has not lapsed split the devices by rendezvous hash (rendezvous.ts):
//   each polls only its own, and a monitor whose lease lapses has its devices taken by the others at
//   their next tick, which polls them at once (fleet-monitor.ts): within the lease plus a tick, less
//   than one poll interval plus the lease the issue promises when the interval is longer than a tick;
// - one of them, the holder of a PostgreSQL advisory lock on a connection of its own, is the leader
//   and runs the work that must happen once (alert evaluation and notifications, pruning). The lock
//   ends with its session, so a leader killed or cut off is replaced at the next tick of another.
// A monitor that cannot renew its lease for a whole lease stops polling and leading by itself: the
// others have taken its devices by then, and two monitors must not poll one device for long.
// With SQLite ("single"), the one monitor owns every device and leads; nothing is written.
import { hostname } from 'node:os';
import type { Log } from '../../../device/src/shared/index.js';
import type { LeaderLock, StoreDatabase } from '../store/store-database.js';
import { openMonitorTable, type MonitorRow, type MonitorStats } from './monitor-tables.js';
import { createOwnerMap } from './rendezvous.js';

/** The leader lock's key ('outpostL' in ASCII); the migrations use another. */
const LEADER_LOCK = 0x6f7574706f73744cn;
/** Rows of monitors whose lease ended this long ago are dropped from the list (by the leader). */
const FORGET_AFTER_MS = 3_600_000;

export interface MonitorView {
  id: string;
  url: string | null;
  hostname: string | null;
  pid: number | null;
  version: string | null;
  started_at: string;
  renewed_at: string;
  lease_until: string;
  alive: boolean;
  leader: boolean;
  self: boolean;
  devices: number;
  last_cycle: { at: string; duration_ms: number; polled: number; ok: number; failed: number; cpu_ms: number } | null;
  rss_bytes: number | null;
}

export interface ClusterOptions {
  db: StoreDatabase;
  self: string;
  url: string;
  version: string;
  leaseMs: number;
  /** The ids of the devices in the inventory now. */
  deviceIds: () => readonly string[];
  /** What this monitor says of itself in its row. */
  stats: () => Omit<MonitorStats, 'leader'>;
  log: Log;
}

export interface Cluster {
  readonly mode: 'single' | 'shared';
  readonly self: string;
  readonly leaseMs: number;
  readonly tickMs: number;
  isLeader(): boolean;
  owns(deviceId: string): boolean;
  /** The live monitor that polls the device; null when there is none (this monitor cannot renew its lease). */
  ownerOf(deviceId: string): string | null;
  /** The ids of the live monitors as of the last tick. */
  live(): readonly string[];
  /**
   * Where in the poll interval this monitor's cycles start (its rank among the live monitors over
   * their number): their cycles take turns instead of loading the database, and any host they
   * share, all at once. Null when single or not live.
   */
  phase(): number | null;
  onLeadership(fn: (leader: boolean) => void): () => void;
  /** Devices this monitor has gained (to poll at once) and lost (to stop polling). */
  onOwnership(fn: (gained: string[], lost: string[]) => void): () => void;
  /** After every tick (shared mode): the mirror of other monitors' devices, alerts and rollouts re-read. */
  onTick(fn: () => Promise<void> | void): () => void;
  /** The inventory changed: work the owners out again. */
  devicesChanged(): void;
  monitors(): Promise<MonitorView[]>;
  /** Registers, and leads or not, before the first poll. */
  start(): Promise<void>;
  /** Ends the lease at once (the others take the devices at their next tick) and gives up the lock. */
  stop(): Promise<void>;
}

type StatsInRow = MonitorStats & { leader?: boolean };

function parseStats(text: string | null): StatsInRow | null {
  if (!text) return null;
  try {
    return JSON.parse(text) as StatsInRow;
  } catch {
    return null;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

function viewOf(r: MonitorRow, now: number, self: string, leader: boolean | undefined): MonitorView {
  const stats = parseStats(r.stats);
  const c = stats?.last_cycle ?? null;
  const alive = r.lease_until > now;
  return {
    id: r.id,
    url: r.url,
    hostname: r.hostname,
    pid: r.pid,
    version: r.version,
    started_at: iso(r.started_at),
    renewed_at: iso(r.renewed_at),
    lease_until: iso(r.lease_until),
    alive,
    leader: alive && (leader ?? stats?.leader === true),
    self: r.id === self,
    devices: alive ? (stats?.devices ?? 0) : 0,
    last_cycle: c ? { ...c, at: iso(c.at) } : null,
    rss_bytes: stats?.rss_bytes ?? null,
  };
}

export function createCluster(opts: ClusterOptions): Cluster {
  const { db, self, leaseMs, log } = opts;
  const shared = db.shared;
  const tickMs = Math.max(200, Math.min(3000, leaseMs / 5));
  const table = openMonitorTable(db);
  const startedAt = Date.now();
  const leadership = new Set<(leader: boolean) => void>();
  const ownership = new Set<(gained: string[], lost: string[]) => void>();
  const ticks = new Set<() => Promise<void> | void>();
  const ownerMap = createOwnerMap();
  let owners = new Map<string, string>();
  let live: string[] = shared ? [] : [self];
  let leader = !shared;
  let lock: LeaderLock | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let ticking: Promise<void> | undefined;
  /** performance.now() of the last renewal that succeeded. */
  let renewedAt = -Infinity;
  let renewFailing = false;

  function setLeader(next: boolean): void {
    if (next === leader) return;
    leader = next;
    log.info({ monitor: self }, next ? 'this monitor leads now (notifications, pruning)' : 'this monitor no longer leads');
    for (const fn of leadership) fn(next);
  }

  /** Works the owners out for the live list; tells who listens what this monitor gained and lost. */
  function assign(nextLive: string[]): void {
    const before = owners;
    owners = ownerMap(opts.deviceIds(), nextLive);
    live = nextLive;
    const gained: string[] = [];
    const lost: string[] = [];
    for (const [id, m] of owners) if (m === self && before.get(id) !== self) gained.push(id);
    for (const [id, m] of before) if (m === self && owners.get(id) !== self) lost.push(id);
    if (gained.length > 0 || lost.length > 0) {
      log.info({ monitor: self, live: nextLive, gained: gained.length, lost: lost.length }, 'device shares changed');
      for (const fn of ownership) fn(gained, lost);
    }
  }

  function ownStats(): StatsInRow {
    return { ...opts.stats(), leader };
  }

  async function tick(): Promise<void> {
    try {
      const now = await db.now();
      await table.renew({
        id: self,
        url: opts.url,
        hostname: hostname(),
        pid: process.pid,
        version: opts.version,
        started_at: startedAt,
        renewed_at: now,
        lease_until: now + leaseMs,
        stats: JSON.stringify(ownStats()),
      });
      renewedAt = performance.now();
      if (renewFailing) log.info({ monitor: self }, 'the lease is renewed again');
      renewFailing = false;
      const rows = await table.list();
      const nextLive = rows.filter((r) => r.lease_until > now).map((r) => r.id);
      if (nextLive.join() !== live.join()) assign(nextLive);
      setLeader(await lock!.hold());
      if (leader) await table.dropEnded(now - FORGET_AFTER_MS);
    } catch (err) {
      if (!renewFailing) log.error({ err, monitor: self }, 'cannot renew the lease in the store');
      renewFailing = true;
      // Past its own lease the others have taken its devices: stop polling them, stop leading.
      if (performance.now() - renewedAt >= leaseMs) {
        if (live.length > 0) assign([]);
        if (leader) {
          await lock!.release();
          setLeader(false);
        }
      }
    }
    for (const fn of ticks) {
      try {
        await fn();
      } catch (err) {
        log.error({ err }, 'a cluster tick step failed');
      }
    }
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(() => {
      ticking = tick().finally(() => {
        ticking = undefined;
        schedule();
      });
    }, tickMs);
  }

  const subscribe = <T>(set: Set<T>, fn: T) => {
    set.add(fn);
    return () => void set.delete(fn);
  };

  return {
    mode: shared ? 'shared' : 'single',
    self,
    leaseMs,
    tickMs,
    isLeader: () => leader,
    owns: (id) => !shared || owners.get(id) === self,
    ownerOf: (id) => (shared ? (owners.get(id) ?? null) : self),
    live: () => live,
    phase: () => {
      const rank = shared ? live.indexOf(self) : -1;
      return rank < 0 ? null : rank / live.length;
    },
    onLeadership: (fn) => subscribe(leadership, fn),
    onOwnership: (fn) => subscribe(ownership, fn),
    onTick: (fn) => subscribe(ticks, fn),
    devicesChanged() {
      if (shared) assign(live);
    },
    async monitors() {
      if (!shared) {
        const now = Date.now();
        return [viewOf({ id: self, url: opts.url, hostname: hostname(), pid: process.pid, version: opts.version, started_at: startedAt, renewed_at: now, lease_until: now + leaseMs, stats: JSON.stringify(ownStats()) }, now - 1, self, true)];
      }
      const [now, rows] = await Promise.all([db.now(), table.list()]);
      // This monitor knows whether it leads; of the others, their rows say it.
      return rows.map((r) => (r.id === self ? { ...viewOf(r, now, self, leader), devices: live.includes(self) ? opts.stats().devices : 0 } : viewOf(r, now, self, undefined)));
    },
    async start() {
      if (!shared) return;
      lock = db.leaderLock(LEADER_LOCK, { onLost: () => setLeader(false) });
      // Two ticks before the first poll: monitors started together (a playbook's run, a reboot)
      // then see each other and split the fleet from their first cycle, instead of the first one
      // polling every device once (bench:fleet's scale-out runs ran out of descriptors on that).
      await tick();
      await new Promise((r) => setTimeout(r, tickMs));
      if (stopped) return;
      await tick();
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await ticking;
      if (!shared) return;
      await lock?.release();
      setLeader(false);
      try {
        await table.endLease(self, await db.now());
      } catch (err) {
        log.warn({ err, monitor: self }, 'cannot end the lease; the others take the devices when it lapses');
      }
    },
  };
}
