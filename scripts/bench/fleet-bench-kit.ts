// What both modes of bench:fleet (bench-fleet.ts) share: the run's temp dir and child processes,
// stopped on every way out (the end, an error, Ctrl-C or SIGTERM, a second signal: at once); the
// simulator workers and the inventory of their devices; starting the compiled monitor; CPU and
// memory of a process from /proc.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootDir } from '../../device/src/shared/index.js';
import { freePort, waitFor } from '../../device/test/index.js';
import { simAddress } from '../../fleet/test/device-simulator.js';

const TICKS = 100; // USER_HZ for /proc/<pid>/stat
export const MONITOR_MAIN = join(rootDir, 'dist/fleet/src/main.js');
// The flags `npm run fleet` and the systemd unit use.
export const MONITOR_FLAGS = ['--max-old-space-size=256', '--max-semi-space-size=16'];

export interface BenchRun {
  readonly dir: string;
  /**
   * A child with the hard descriptor limit (thousands of listening sockets and connections), in its
   * own process group; its output goes to ours, or line by line to onLine.
   */
  spawnWithFiles(cmd: string, args: string[], env?: NodeJS.ProcessEnv, onLine?: (line: string) => void): ChildProcess;
  /** SIGTERM, SIGKILL after graceMs; resolves when it has exited. */
  stop(child: ChildProcess, graceMs?: number): Promise<void>;
  /** Runs at close(), last registered first (a database server, a client). */
  defer(fn: () => Promise<unknown>): void;
  /** Stops every child, runs what was deferred, removes the dir. Idempotent. */
  close(): Promise<void>;
  /** True once a signal asked the run to stop. */
  readonly stopping: boolean;
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

export function createBenchRun(prefix: string): BenchRun {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const children = new Set<ChildProcess>();
  const deferred: Array<() => Promise<unknown>> = [];
  let closing: Promise<void> | undefined;
  let signalled = 0;

  async function stop(child: ChildProcess, graceMs = 20_000): Promise<void> {
    if (exited(child)) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(timer);
  }

  const close = () =>
    (closing ??= (async () => {
      await Promise.all([...children].reverse().map((c) => stop(c)));
      for (const fn of deferred.reverse()) await fn().catch((err: Error) => console.error(`bench clean-up: ${err.message}`));
      rmSync(dir, { recursive: true, force: true });
    })());

  // Children lead their own process groups, so Ctrl-C (SIGINT to the terminal's foreground group)
  // reaches them once, from here, as scripts/start-all.mjs does. A second signal: SIGKILL now.
  const onSignal = (signal: NodeJS.Signals) => {
    signalled += 1;
    if (signalled > 1) {
      for (const c of children) if (!exited(c)) c.kill('SIGKILL');
      process.exit(130);
    }
    console.error(`\n${signal}: stopping the simulators, monitors and PostgreSQL`);
    void close().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // Whatever else ends this process (an uncaught error), no child outlives it.
  process.on('exit', () => {
    for (const c of children) if (!exited(c)) c.kill('SIGKILL');
  });

  return {
    dir,
    get stopping() {
      return signalled > 0;
    },
    spawnWithFiles(cmd, args, env = process.env, onLine) {
      const quoted = [cmd, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
      const out = onLine ? 'pipe' : 'inherit';
      const child = spawn('bash', ['-c', `ulimit -n "$(ulimit -Hn)" && exec ${quoted}`], { env, stdio: ['ignore', out, out], detached: true });
      for (const stream of onLine ? [child.stdout!, child.stderr!] : []) createInterface({ input: stream, crlfDelay: Infinity }).on('line', onLine!);
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    stop,
    defer(fn) {
      deferred.push(fn);
    },
    close,
  };
}

export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICKS; // utime + stime
}

/**
 * CPU seconds of a process and all its children, living and exited: its own time, its reaped
 * children's (cutime + cstime), and the living children's. For PostgreSQL's postmaster, that is
 * every backend, the checkpointer, the WAL writer and the rest.
 */
export function treeCpuSeconds(pid: number): number {
  const fields = (p: string) => {
    const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  };
  const own = fields(String(pid));
  let ticks = Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14]);
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p) || p === String(pid)) continue;
    try {
      const f = fields(p);
      if (Number(f[1]) === pid) ticks += Number(f[11]) + Number(f[12]);
    } catch {
      // gone between the listing and the read: its time is in the parent's cutime now
    }
  }
  return ticks / TICKS;
}

export function peakRssMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

export async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(url)).text();
  const m = new RegExp(`^${name} ([0-9.eE+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface FleetShape {
  devices: number;
  downPct: number;
  slowPct: number;
  timeoutMs: number;
  simPort: number;
}

export const behaviourOf = (shape: FleetShape, i: number) =>
  i % 100 < shape.downPct ? 'down' : i % 100 < shape.downPct + shape.slowPct ? 'slow' : 'healthy';

/**
 * Simulator workers for shape.devices devices, each on its own 127.x address; waits until the
 * last answering device of every worker answers. Returns the workers.
 */
export async function startSimulatorWorkers(run: BenchRun, shape: FleetShape, workers: number): Promise<ChildProcess[]> {
  const per = Math.ceil(shape.devices / workers);
  const sims: ChildProcess[] = [];
  const probes: number[] = [];
  for (let w = 0; w < workers; w += 1) {
    const from = w * per;
    const to = Math.min(shape.devices, (w + 1) * per);
    if (from >= to) break;
    sims.push(
      run.spawnWithFiles(process.execPath, ['--import', 'tsx', join(rootDir, 'scripts/bench/fleet-sim-worker.ts')], {
        ...process.env,
        SIM_FROM: String(from),
        SIM_TO: String(to),
        SIM_PORT: String(shape.simPort),
        SIM_DOWN_PCT: String(shape.downPct),
        SIM_SLOW_PCT: String(shape.slowPct),
        SIM_SLOW_MS: String(shape.timeoutMs * 3),
      }),
    );
    for (let i = to - 1; i >= from; i -= 1) {
      if (behaviourOf(shape, i) === 'healthy') {
        probes.push(i);
        break;
      }
    }
  }
  for (const i of probes) {
    await waitFor(async () => (await fetch(`http://${simAddress(i)}:${shape.simPort}/api/fleet/status`).catch(() => null))?.ok === true, {
      timeoutMs: 120_000,
      intervalMs: 500,
      what: `simulated device ${i}`,
    });
  }
  await sleep(2000);
  return sims;
}

/** fleet.yaml with every simulated device (dev-00000 …), in twenty groups. */
export function writeInventory(path: string, shape: FleetShape): string {
  const lines = ['devices:'];
  for (let i = 0; i < shape.devices; i += 1) lines.push(`  - {id: dev-${String(i).padStart(5, '0')}, address: ${simAddress(i)}, port: ${shape.simPort}, groups: [g${i % 20}]}`);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

export interface RunningMonitor {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
}

/**
 * The compiled monitor on a free loopback port, with the flags of `npm run fleet`; resolves once
 * /api/health answers. Its log goes to ours, or line by line to onLine.
 */
export async function startMonitor(run: BenchRun, env: Record<string, string>, onLine?: (line: string) => void): Promise<RunningMonitor> {
  const port = await freePort();
  const child = run.spawnWithFiles(process.execPath, [...MONITOR_FLAGS, MONITOR_MAIN], {
    ...process.env,
    OUTPOST_FLEET_PORT: String(port),
    OUTPOST_FLEET_POLL_JITTER_PCT: '0',
    OUTPOST_LOG_LEVEL: 'warn',
    ...env,
  }, onLine);
  const url = `http://127.0.0.1:${port}`;
  // `bash -c 'ulimit … && exec node …'`: the child's pid is the monitor's once bash has exec'd.
  const died = new Promise<never>((_, reject) => child.once('exit', (code, signal) => reject(new Error(`the monitor on ${url} exited with ${code ?? signal} at start`))));
  died.catch(() => undefined);
  await Promise.race([
    waitFor(async () => (await fetch(`${url}/api/health`).catch(() => null))?.ok === true, { timeoutMs: 120_000, intervalMs: 250, what: `monitor on ${url}` }),
    died,
  ]);
  return { child, pid: child.pid!, url };
}
