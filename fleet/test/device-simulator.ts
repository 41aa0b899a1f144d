// Simulated devices for the fleet monitor's tests and benchmark: real HTTP servers on loopback.
// Many devices share one HTTP server: each device has its own 127.x.y.z address (all of 127/8 is
// local on Linux) and one listening socket on it that hands connections to the shared server, so a
// device that is "down" is simply an address where nothing listens.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import type { FleetStatus } from '../../device/src/shared/index.js';

export type Behaviour = 'healthy' | 'down' | 'slow' | 'hang' | 'http500' | 'garbage' | 'wrong_schema' | 'degraded';

export interface SimDevice {
  id: string;
  address: string;
  port: number;
  behaviour: Behaviour;
  version: string;
  /** Sessions the device says it turned away for host pressure (sessions.counters); 0: no counters sent. */
  rejected: number;
  requests: number;
  /** Status polls by monitor (the x-outpost-monitor header): how many, and when the last came. */
  pollers: Map<string, { count: number; lastAt: number }>;
}

export interface Simulators {
  devices: SimDevice[];
  byAddress: Map<string, SimDevice>;
  set(id: string, behaviour: Behaviour): Promise<void>;
  /** How long an idle kept-alive connection stays open after an answer (60 s unless set). */
  setKeepAliveTimeout(ms: number): void;
  close(): Promise<void>;
}

/** The i-th address of the simulator range: 127.10.0.1, 127.10.0.2, … (skips .0 and .255). */
export function simAddress(i: number, base = 10): string {
  const n = i + 1;
  const a = Math.floor(n / 254 / 254) % 254;
  const b = Math.floor(n / 254) % 254;
  const c = (n % 254) + 1;
  return `127.${base + a}.${b}.${c}`;
}

export function fakeStatus(d: SimDevice, now = new Date()): FleetStatus {
  const degraded = d.behaviour === 'degraded';
  return {
    schema: 1,
    device: { id: d.id, name: d.id, labels: { sim: 'true' } },
    appliance: {
      version: d.version,
      started_at: new Date(now.getTime() - 3_600_000).toISOString(),
      uptime_s: 3600,
      update: { channel: 'stable', last_check: null, last_result: null, previous_version: null },
    },
    host: {
      hostname: d.id,
      os: 'Debian GNU/Linux 12',
      kernel: '6.1.0',
      uptime_s: 86_400,
      cpu: { cores: 4, load1: 0.42, usage_pct: 12.5 },
      memory: { total: 8 * 1024 ** 3, used: 2 * 1024 ** 3 },
      disks: [{ mount: '/', size: 64 * 1024 ** 3, used: (degraded ? 62 : 20) * 1024 ** 3 }],
      temperature_c: 48,
    },
    sessions: {
      active: 0,
      capacity: 8,
      pool: { headless: { ready: 1, target: 1 }, vnc: { ready: 1, target: 1 } },
      ...(d.rejected > 0
        ? {
            counters: {
              api: { created: 3, claimed_from_pool: 2, queued: 0, rejected: { host_overloaded: d.rejected }, queue_timeouts: 0, ended: { deleted: 3 } },
              playwright: { created: 5, claimed_from_pool: 4, queued: 1, rejected: { capacity_exceeded: 1 }, queue_timeouts: 0, ended: { disconnected: 5 } },
            },
          }
        : {}),
    },
    payload: { name: 'autopilot', state: degraded ? 'exited' : 'running', image: 'autopilot:2.4.1', version: '2.4.1', started_at: null, restarts: 0 },
    alerts: degraded ? [{ id: 'disk:/', severity: 'critical', message: 'disk / is 97% full (2.0 GiB free)', since: now.toISOString() }] : [],
    timestamp: now.toISOString(),
  };
}

/** Prometheus text of about the size a real appliance exposes (outpost_* gauges). */
export function fakeMetrics(d: SimDevice): string {
  const lines = [
    '# HELP outpost_info Appliance identity and version (always 1)',
    '# TYPE outpost_info gauge',
    `outpost_info{device_id="${d.id}",device_name="${d.id}",version="${d.version}"} 1`,
    '# TYPE outpost_uptime_seconds gauge',
    'outpost_uptime_seconds 3600',
    '# TYPE outpost_host_cpu_usage_percent gauge',
    'outpost_host_cpu_usage_percent 12.5',
    '# TYPE outpost_host_load1 gauge',
    'outpost_host_load1 0.42',
    '# TYPE outpost_host_memory_total_bytes gauge',
    'outpost_host_memory_total_bytes 8589934592',
    '# TYPE outpost_host_memory_used_bytes gauge',
    'outpost_host_memory_used_bytes 2147483648',
    '# TYPE outpost_host_disk_size_bytes gauge',
    'outpost_host_disk_size_bytes{mount="/"} 68719476736',
    '# TYPE outpost_host_disk_used_bytes gauge',
    'outpost_host_disk_used_bytes{mount="/"} 21474836480',
    '# TYPE outpost_sessions_active gauge',
    'outpost_sessions_active 0',
    '# TYPE outpost_sessions_capacity gauge',
    'outpost_sessions_capacity 8',
    '# TYPE outpost_pool_ready gauge',
    'outpost_pool_ready{kind="headless"} 1',
    'outpost_pool_ready{kind="vnc"} 1',
    '# TYPE outpost_payload_up gauge',
    'outpost_payload_up{name="autopilot",state="running"} 1',
    '# TYPE outpost_alerts_active gauge',
    'outpost_alerts_active{severity="info"} 0',
    'outpost_alerts_active{severity="warning"} 0',
    'outpost_alerts_active{severity="critical"} 0',
  ];
  return `${lines.join('\n')}\n`;
}

export async function startSimulators(opts: {
  count: number;
  port?: number;
  base?: number;
  behaviour?: (i: number) => Behaviour;
  version?: (i: number) => string;
  rejected?: (i: number) => number;
  slowMs?: number;
  address?: (i: number) => string;
}): Promise<Simulators> {
  const port = opts.port ?? 18080;
  const slowMs = opts.slowMs ?? 10_000;
  const devices: SimDevice[] = [];
  const byAddress = new Map<string, SimDevice>();
  for (let i = 0; i < opts.count; i += 1) {
    const d: SimDevice = {
      id: `sim-${String(i).padStart(5, '0')}`,
      address: opts.address?.(i) ?? simAddress(i, opts.base),
      port,
      behaviour: opts.behaviour?.(i) ?? 'healthy',
      version: opts.version?.(i) ?? '1.0.0',
      rejected: opts.rejected?.(i) ?? 0,
      requests: 0,
      pollers: new Map(),
    };
    devices.push(d);
    byAddress.set(d.address, d);
  }
  const hanging = new Set<ServerResponse>();
  const http: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const d = byAddress.get(req.socket.localAddress ?? '');
    if (!d) {
      res.writeHead(404).end();
      return;
    }
    d.requests += 1;
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(fakeMetrics(d));
      return;
    }
    if (path === '/api/fleet/status') {
      const monitor = req.headers['x-outpost-monitor'];
      if (typeof monitor === 'string') {
        const p = d.pollers.get(monitor);
        if (p) {
          p.count += 1;
          p.lastAt = Date.now();
        } else d.pollers.set(monitor, { count: 1, lastAt: Date.now() });
      }
    } else {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"not_found","message":"no route"}}');
      return;
    }
    switch (d.behaviour) {
      case 'http500':
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"code":"internal_error","message":"boom"}}');
        return;
      case 'garbage':
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"schema":1, "device": {oops');
        return;
      case 'wrong_schema':
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ...fakeStatus(d), host: { hostname: d.id } }));
        return;
      case 'slow': {
        const timer = setTimeout(() => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(fakeStatus(d))), slowMs);
        res.on('close', () => clearTimeout(timer));
        return;
      }
      case 'hang':
        hanging.add(res);
        res.on('close', () => hanging.delete(res));
        return;
      default:
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(fakeStatus(d)));
    }
  });
  http.keepAliveTimeout = 60_000;
  const listeners = new Map<string, NetServer>();
  const sockets = new Map<string, Set<Socket>>();

  async function listen(d: SimDevice): Promise<void> {
    if (listeners.has(d.address)) return;
    const srv = createNetServer((socket) => {
      let set = sockets.get(d.address);
      if (!set) sockets.set(d.address, (set = new Set()));
      set.add(socket);
      socket.on('close', () => set.delete(socket));
      http.emit('connection', socket);
    });
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen({ host: d.address, port: d.port, backlog: 64 }, () => resolve());
    });
    listeners.set(d.address, srv);
  }

  function unlisten(d: SimDevice): void {
    const srv = listeners.get(d.address);
    if (!srv) return;
    listeners.delete(d.address);
    // Stop accepting now and cut the kept-alive connections: a device that is down answers nothing.
    srv.close();
    for (const socket of sockets.get(d.address) ?? []) socket.destroy();
  }

  for (let i = 0; i < devices.length; i += 256) {
    await Promise.all(devices.slice(i, i + 256).filter((d) => d.behaviour !== 'down').map(listen));
  }

  return {
    devices,
    byAddress,
    async set(id, behaviour) {
      const d = devices.find((x) => x.id === id);
      if (!d) throw new Error(`no simulated device ${id}`);
      d.behaviour = behaviour;
      if (behaviour === 'down') {
        unlisten(d);
      } else await listen(d);
    },
    setKeepAliveTimeout(ms) {
      http.keepAliveTimeout = ms;
    },
    async close() {
      for (const res of hanging) res.destroy();
      await Promise.all([...listeners.values()].map((s) => new Promise<void>((r) => s.close(() => r()))));
      listeners.clear();
      http.closeAllConnections();
      await new Promise<void>((r) => http.close(() => r()));
    },
  };
}
