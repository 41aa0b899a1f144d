// Host figures (CPU, memory, disks, temperature) sampled in the background with systeminformation
// and served from memory: /api/fleet/status must never wait on /proc or df (see the status route
// test 'answers from the cached host snapshot').
import os from 'node:os';
import type { Log as Logger } from '../shared/log.js';
import si from 'systeminformation';
import type { HostStatus } from '../shared/contract.js';

export interface HostMonitor {
  snapshot(): HostStatus;
  /** Take one sample now (the first one, without CPU usage, is awaited at boot so status is never empty). */
  refresh(withLoad?: boolean): Promise<void>;
  close(): void;
}

// Pseudo and read-only image filesystems say nothing about whether the host is running out of disk.
const IGNORED_FS_TYPES = new Set(['tmpfs', 'devtmpfs', 'squashfs', 'overlay', 'proc', 'sysfs', 'ramfs', 'nsfs', 'iso9660']);

export function selectDisks(entries: readonly si.Systeminformation.FsSizeData[]): HostStatus['disks'] {
  const seen = new Set<string>();
  const disks: HostStatus['disks'] = [];
  for (const e of entries) {
    if (IGNORED_FS_TYPES.has(e.type) || e.size <= 0 || seen.has(e.mount)) continue;
    if (e.mount.startsWith('/snap/') || e.mount.startsWith('/var/lib/docker/')) continue;
    seen.add(e.mount);
    disks.push({ mount: e.mount, size: e.size, used: e.used });
  }
  // Inside a container the root is often overlay; still report / so the disk is visible.
  if (disks.length === 0) {
    const root = entries.find((e) => e.mount === '/');
    if (root) disks.push({ mount: '/', size: root.size, used: root.used });
  }
  return disks;
}

function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function createHostMonitor(opts: { refreshS: number; log: Logger }): HostMonitor {
  const { log } = opts;
  let osName = `${os.type()} ${os.release()}`;
  let current: HostStatus = {
    hostname: os.hostname(),
    os: osName,
    kernel: os.release(),
    uptime_s: Math.round(os.uptime()),
    cpu: { cores: os.cpus().length || 1, load1: round(os.loadavg()[0] ?? 0), usage_pct: 0 },
    memory: { total: os.totalmem(), used: os.totalmem() - os.freemem() },
    disks: [],
    temperature_c: null,
  };
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let inFlight: Promise<void> | undefined;
  let osInfoDone = false;

  // The first CPU figure needs two readings some time apart (systeminformation waits ~0.5 s for
  // it); boot takes only the fast figures and the background loop fills CPU usage in.
  async function sample(withLoad = true): Promise<void> {
    if (!osInfoDone) {
      const info = await si.osInfo().catch(() => undefined);
      if (info) osName = [info.distro, info.release].filter(Boolean).join(' ') || osName;
      osInfoDone = true;
    }
    const [load, mem, fs, temp] = await Promise.all([
      withLoad ? si.currentLoad().catch(() => undefined) : undefined,
      si.mem().catch(() => undefined),
      si.fsSize().catch(() => undefined),
      si.cpuTemperature().catch(() => undefined),
    ]);
    const usage = load?.currentLoad;
    current = {
      hostname: os.hostname(),
      os: osName,
      kernel: os.release(),
      uptime_s: Math.round(os.uptime()),
      cpu: {
        cores: os.cpus().length || 1,
        load1: round(os.loadavg()[0] ?? 0),
        usage_pct: typeof usage === 'number' && Number.isFinite(usage) ? round(Math.min(100, Math.max(0, usage)), 1) : current.cpu.usage_pct,
      },
      memory: mem ? { total: mem.total, used: Math.max(0, mem.total - mem.available) } : current.memory,
      disks: fs ? selectDisks(fs) : current.disks,
      temperature_c: typeof temp?.main === 'number' && Number.isFinite(temp.main) ? round(temp.main, 1) : null,
    };
  }

  function refresh(withLoad = true): Promise<void> {
    inFlight ??= sample(withLoad)
      .catch((err: unknown) => log.warn({ err }, 'host sample failed'))
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  }

  function schedule(): void {
    if (closed) return;
    timer = setTimeout(() => {
      void refresh().finally(schedule);
    }, opts.refreshS * 1000);
    timer.unref();
  }
  schedule();

  return {
    snapshot: () => current,
    refresh,
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
    },
  };
}
