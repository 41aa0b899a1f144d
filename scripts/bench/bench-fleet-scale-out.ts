// BENCH_MODE=scale-out of bench:fleet (bench-fleet.ts): 30,000 simulated devices, one monitor on a
// SQLite file, then 1, 2 and 3 monitors sharing one PostgreSQL, then a kill -9 of one of the three.
//
// Each configuration starts the same way: its monitors start at once on a fresh, empty database
// (a new one on the same server; the last one is dropped and the server checkpointed), with the
// same inventory. Shares have settled when the lead monitor's GET /api/monitors has listed every
// monitor alive with shares summing to N unchanged, and each monitor has begun a cycle since
// (monitors started at once see each other before their first cycle, cluster.ts; before they did,
// each polled the whole fleet once and held 30,000 connections past this machine's descriptor
// limit, and this bench waited 90 s for them to close); then
// BENCH_CYCLES cycles of every monitor are measured (from last_cycle in that list), and CPU over the
// same window from /proc: each monitor's, PostgreSQL's (the postmaster and all its children,
// exited ones included), the simulators'.
//
// The server is the tests' throwaway cluster (fleet/test/postgres-cluster.ts: Debian's package,
// trust on 127.0.0.1, no password) with fsync, synchronous_commit and full_page_writes back on,
// so that commits cost what they cost in production; nothing else is tuned.
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startPostgresCluster } from '../../fleet/test/postgres-cluster.js';
import {
  cpuSeconds,
  loadAverage,
  peakRssMb,
  sleep,
  startMonitor,
  startSimulatorWorkers,
  treeCpuSeconds,
  writeInventory,
  type BenchRun,
  type FleetShape,
  type RunningMonitor,
} from './fleet-bench-kit.js';
import { mean } from './stats.js';

export interface ScaleOutOptions {
  shape: FleetShape;
  cycles: number;
  intervalS: number;
  leaseS: number;
}

// GET /api/monitors (the cluster core's, fleet/src/cluster/).
interface LastCycle {
  at: string;
  duration_ms: number;
  polled: number;
  ok: number;
  failed: number;
  cpu_ms: number;
}
interface MonitorView {
  id: string;
  alive: boolean;
  leader: boolean;
  devices: number;
  last_cycle: LastCycle | null;
  rss_bytes: number | null;
}
interface MonitorsAnswer {
  mode: 'single' | 'shared';
  self: string;
  leader: string | null;
  lease_s: number;
  monitors: MonitorView[];
}

interface MonitorFigures {
  id: string;
  share: number;
  cycles: LastCycle[];
  cpuPerInterval: number;
  /** Garbage collection, seconds per interval (nodejs_gc_duration_seconds, every kind). */
  gcPerInterval: number;
  rssMb: number;
}

/** What a monitor logged at warn and above, by message: how often, and the first one's details. */
type LogTally = Map<string, { count: number; example: string }>;

/** Counts a pino line (or any other line) in the tally. */
function tallyLine(tally: LogTally, line: string): void {
  let key = line.slice(0, 160);
  let example = '';
  try {
    const rec = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string; detail?: string } };
    if ((rec.level ?? 0) < 40) return;
    key = `${rec.level! >= 50 ? 'error' : 'warn'}: ${rec.msg ?? '?'}`;
    example = [rec.err?.message, rec.err?.detail].filter(Boolean).join('; ');
  } catch {
    // not JSON: counted as it is
  }
  const t = tally.get(key);
  if (t) t.count += 1;
  else tally.set(key, { count: 1, example });
}

const progress = (text: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${text}\n`);

interface ConfigFigures {
  label: string;
  /** How the simulators keep idle connections: 'kept' 60 s, or 'closed' 1 s after each answer. */
  keepAlive: 'kept' | 'closed';
  monitors: MonitorFigures[];
  pgCpuPerInterval: number | null;
  simCpuPerInterval: number;
  settleS: number;
  /** The leader GET /api/monitors named at the end of the measurement. */
  leader: string | null;
  loadBefore: string;
  loadAfter: string;
  problems: string[];
  /** Per monitor, what it logged at warn and above over its life. */
  logs: Array<{ id: string; tally: LogTally }>;
}

interface TakeoverFigures {
  victim: string;
  share: number;
  leaderBefore: string | null;
  leaderAfter: string | null;
  rowsBefore: number;
  lapsedS: number | null;
  sharesS: number | null;
  answeringS: number | null;
  allRowsS: number | null;
  rowsLeft: number;
  notOkBefore: number;
  notOkMax: number;
}

async function monitorsOf(url: string): Promise<MonitorsAnswer> {
  const res = await fetch(`${url}/api/monitors`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`GET ${url}/api/monitors: ${res.status}`);
  return (await res.json()) as MonitorsAnswer;
}

/** Devices the monitor at url shows as offline or suspect. */
async function notOk(url: string): Promise<number> {
  const res = await fetch(`${url}/api/devices/summary`, { signal: AbortSignal.timeout(5000) });
  const s = (await res.json()) as { by_status: Record<string, number> };
  return (s.by_status.offline ?? 0) + (s.by_status.suspect ?? 0);
}

/** Seconds the monitor at url has spent in garbage collection since it started. */
async function gcSeconds(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  let sum = 0;
  for (const m of text.matchAll(/^nodejs_gc_duration_seconds_sum\{[^}]*\} ([0-9.eE+-]+)$/gm)) sum += Number(m[1]);
  return sum;
}

function hardFileLimit(): number {
  return Number(execFileSync('bash', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim());
}

function postmasterPid(dataDir: string): number {
  return Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

const secs = (ms: number) => (ms / 1000).toFixed(1);

export async function runScaleOut(run: BenchRun, opts: ScaleOutOptions): Promise<void> {
  const { shape, cycles: CYCLES, intervalS, leaseS } = opts;
  const N = shape.devices;
  const workers = Number(process.env.BENCH_SIM_WORKERS ?? Math.max(4, Math.ceil(N / 4000)));
  const fileLimit = hardFileLimit();
  console.log(
    `scale-out: ${N} devices (${shape.downPct}% down, ${shape.slowPct}% slow past the ${shape.timeoutMs} ms timeout) in ${workers} simulator workers, ` +
      `interval ${intervalS} s, lease ${leaseS} s, ${CYCLES} cycles per configuration; ${cpus().length} cores, load ${loadAverage()}, descriptor limit ${fileLimit}`,
  );
  // A monitor keeps one idle connection per device it polls (devices/device-http.ts); the systemd
  // unit allows it 65,536 descriptors, this machine may allow fewer. Past the limit its polls fail
  // (EMFILE) and those devices go offline, which measures nothing: in a configuration whose share
  // per monitor does not fit, the simulators close idle connections 1 s after each answer instead,
  // so a monitor holds one per poll in flight (a new connection per poll: more CPU than kept ones).
  const keepAliveMode = process.env.BENCH_SIM_KEEPALIVE ?? 'auto';
  if (!['auto', 'kept', 'closed'].includes(keepAliveMode)) throw new Error(`BENCH_SIM_KEEPALIVE: expected auto, kept or closed, got "${keepAliveMode}"`);
  const keepAliveFor = (count: number): 'kept' | 'closed' =>
    keepAliveMode === 'auto' ? (Math.ceil(N / count) + 1000 <= fileLimit ? 'kept' : 'closed') : (keepAliveMode as 'kept' | 'closed');

  const sims = await startSimulatorWorkers(run, shape, workers);
  const simPids = sims.map((s) => s.pid!);
  const inventory = writeInventory(join(run.dir, 'fleet.yaml'), shape);
  const figures: ConfigFigures[] = [];
  let takeover: TakeoverFigures | null = null;

  const baseEnv = (id: string, db: string, dataDir: string): Record<string, string> => ({
    OUTPOST_FLEET_INVENTORY: inventory,
    OUTPOST_FLEET_DB: db,
    OUTPOST_FLEET_DATA_DIR: dataDir,
    OUTPOST_FLEET_MONITOR_ID: id,
    OUTPOST_FLEET_LEASE_S: String(leaseS),
    OUTPOST_FLEET_POLL_INTERVAL_S: String(intervalS),
    OUTPOST_FLEET_POLL_TIMEOUT_MS: String(shape.timeoutMs),
  });

  /** Starts `count` monitors at once on db, waits for the shares to settle, measures CYCLES cycles. */
  async function configuration(
    label: string,
    count: number,
    db: string,
    pgPid: number | null,
    after?: (monitors: RunningMonitor[], ids: string[]) => Promise<void>,
  ): Promise<void> {
    if (run.stopping) return;
    const loadBefore = loadAverage();
    const problems: string[] = [];
    const keepAlive = keepAliveFor(count);
    for (const s of sims) s.kill(keepAlive === 'kept' ? 'SIGHUP' : 'SIGUSR2');
    const ids = Array.from({ length: count }, (_, i) => `m${i + 1}`);
    const started = Date.now();
    const logs = ids.map((id) => ({ id, tally: new Map() as LogTally }));
    const monitors = await Promise.all(
      ids.map((id, i) => {
        const dataDir = join(run.dir, label.replace(/\W+/g, '-'), id);
        mkdirSync(dataDir, { recursive: true });
        return startMonitor(run, baseEnv(id, db, dataDir), (line) => tallyLine(logs[i]!.tally, line));
      }),
    );
    progress(`${label}: ${monitors.map((m, i) => `${ids[i]} pid ${m.pid}`).join(', ')} started; connections ${keepAlive === 'kept' ? 'kept alive' : 'closed after each poll'}`);
    const lead = monitors[0]!.url;
    try {
      // --- shares settle -----------------------------------------------------------------------
      let shares = '';
      let stableSince = Date.now();
      let settled = false;
      const settleDeadline = Date.now() + (8 * intervalS + leaseS) * 1000 + 120_000;
      while (!settled && Date.now() < settleDeadline && !run.stopping) {
        const view = await monitorsOf(lead).catch(() => null);
        if (view) {
          const alive = view.monitors.filter((m) => m.alive);
          const now = alive
            .map((m) => `${m.id}=${m.devices}`)
            .sort()
            .join(',');
          if (now !== shares) {
            shares = now;
            stableSince = Date.now();
          }
          const sum = alive.reduce((a, m) => a + m.devices, 0);
          settled =
            alive.length === count &&
            ids.every((id) => alive.some((m) => m.id === id)) &&
            sum === N &&
            Date.now() - stableSince >= 2000 &&
            alive.every((m) => m.last_cycle !== null && Date.parse(m.last_cycle.at) > Math.max(stableSince, started));
        }
        if (!settled) await sleep(1000);
      }
      const settleS = (Date.now() - started) / 1000;
      progress(`${label}: ${settled ? 'shares settled' : 'shares not settled'} after ${settleS.toFixed(0)} s (${shares}); measuring ${CYCLES} cycles`);
      if (!settled) problems.push(`shares did not settle in ${settleS.toFixed(0)} s (last seen: ${shares || 'no answer'})`);

      // --- measure -----------------------------------------------------------------------------
      const seen = new Map<string, string>();
      const collected = new Map<string, LastCycle[]>(ids.map((id) => [id, []]));
      const first = await monitorsOf(lead).catch(() => null);
      for (const m of first?.monitors ?? []) if (m.last_cycle) seen.set(m.id, m.last_cycle.at);
      const t0 = performance.now();
      const cpu0 = monitors.map((m) => cpuSeconds(m.pid));
      const gc0 = await Promise.all(monitors.map((m) => gcSeconds(m.url).catch(() => NaN)));
      const pg0 = pgPid === null ? 0 : treeCpuSeconds(pgPid);
      const sim0 = simPids.reduce((a, p) => a + cpuSeconds(p), 0);
      let last: MonitorsAnswer | null = first;
      const measureDeadline = Date.now() + CYCLES * intervalS * 2000 + 60_000;
      while ([...collected.values()].some((c) => c.length < CYCLES) && Date.now() < measureDeadline && !run.stopping) {
        await sleep(1000);
        const view = await monitorsOf(lead).catch(() => null);
        if (!view) continue;
        last = view;
        for (const m of view.monitors) {
          const c = m.last_cycle;
          const list = collected.get(m.id);
          if (!c || !list || seen.get(m.id) === c.at) continue;
          seen.set(m.id, c.at);
          if (list.length < CYCLES) list.push(c);
        }
      }
      const intervals = (performance.now() - t0) / 1000 / intervalS;
      const gc1 = await Promise.all(monitors.map((m) => gcSeconds(m.url).catch(() => NaN)));
      for (const [id, list] of collected) if (list.length < CYCLES) problems.push(`${id}: ${list.length} of ${CYCLES} cycles seen`);
      const pgCpu = pgPid === null ? null : (treeCpuSeconds(pgPid) - pg0) / intervals;
      const simCpu = (simPids.reduce((a, p) => a + cpuSeconds(p), 0) - sim0) / intervals;
      figures.push({
        label,
        keepAlive,
        monitors: monitors.map((m, i) => ({
          id: ids[i]!,
          share: last?.monitors.find((v) => v.id === ids[i])?.devices ?? NaN,
          cycles: collected.get(ids[i]!) ?? [],
          cpuPerInterval: (cpuSeconds(m.pid) - cpu0[i]!) / intervals,
          gcPerInterval: (gc1[i]! - gc0[i]!) / intervals,
          rssMb: peakRssMb(m.pid),
        })),
        pgCpuPerInterval: pgCpu,
        simCpuPerInterval: simCpu,
        settleS,
        leader: last?.leader ?? null,
        loadBefore,
        loadAfter: loadAverage(),
        problems,
        logs,
      });
      if (after && !run.stopping) await after(monitors, ids);
    } finally {
      await Promise.all(monitors.map((m) => run.stop(m.child)));
    }
  }

  // --- 1. one monitor, SQLite ---------------------------------------------------------------
  const sqliteDir = join(run.dir, 'sqlite');
  mkdirSync(sqliteDir, { recursive: true });
  await configuration('sqlite x1', 1, join(sqliteDir, 'fleet.sqlite'), null);

  // --- 2. 1, 2, 3 monitors on one PostgreSQL ---------------------------------------------------
  let pgNote = '';
  if (!run.stopping) {
    const cluster = await startPostgresCluster({ settings: { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on' } });
    run.defer(() => cluster.stop());
    const admin = new pg.Client({ connectionString: cluster.url('postgres') });
    await admin.connect();
    run.defer(() => admin.end());
    const setting = async (name: string) => (await admin.query<{ v: string }>(`SELECT current_setting($1) AS v`, [name])).rows[0]!.v;
    const pgPid = postmasterPid(await setting('data_directory'));
    pgNote = `PostgreSQL ${await setting('server_version')}, shared_buffers ${await setting('shared_buffers')}, max_connections ${await setting('max_connections')}, fsync ${await setting('fsync')}, synchronous_commit ${await setting('synchronous_commit')}`;

    for (const count of [1, 2, 3]) {
      if (run.stopping) break;
      const url = await cluster.createDatabase();
      const database = new URL(url).pathname.slice(1);
      await configuration(`postgres x${count}`, count, url, pgPid, count === 3 ? async (monitors, ids) => void (takeover = await killOne(monitors, ids, url)) : undefined);
      await admin.query(`DROP DATABASE ${database} WITH (FORCE)`);
      await admin.query('CHECKPOINT');
    }
  }

  /** kill -9 of the last monitor; times from the kill until the others have its devices. */
  async function killOne(monitors: RunningMonitor[], ids: string[], url: string): Promise<TakeoverFigures> {
    const victim = ids[ids.length - 1]!;
    const victimProc: ChildProcess = monitors[monitors.length - 1]!.child;
    const lead = monitors[0]!.url;
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      const rowsOf = async () =>
        (
          await db.query<{ all: string; answering: string }>(
            "SELECT count(*) AS all, count(*) FILTER (WHERE status NOT IN ('offline', 'suspect')) AS answering FROM devices WHERE polled_by = $1",
            [victim],
          )
        ).rows[0]!;
      const before = await monitorsOf(lead);
      const share = before.monitors.find((m) => m.id === victim)?.devices ?? NaN;
      const rowsBefore = Number((await rowsOf()).all);
      const notOkBefore = await notOk(lead);
      let notOkMax = notOkBefore;
      const gone = new Promise((r) => victimProc.once('exit', r));
      progress(`kill -9 ${victim} (pid ${victimProc.pid})`);
      const t0 = performance.now();
      victimProc.kill('SIGKILL');
      await gone;
      const since = () => performance.now() - t0;
      let lapsedS: number | null = null;
      let sharesS: number | null = null;
      let answeringS: number | null = null;
      let allRowsS: number | null = null;
      let rowsLeft = rowsBefore;
      let leaderAfter: string | null = null;
      const deadline = (3 * (intervalS + leaseS) + 30) * 1000;
      while (since() < deadline && !run.stopping && (allRowsS === null || sharesS === null || lapsedS === null)) {
        const rows = await rowsOf().catch(() => null);
        if (rows) {
          rowsLeft = Number(rows.all);
          if (answeringS === null && Number(rows.answering) === 0) answeringS = since();
          if (allRowsS === null && rowsLeft === 0) allRowsS = since();
        }
        const view = await monitorsOf(lead).catch(() => null);
        if (view) {
          const dead = !view.monitors.some((m) => m.id === victim && m.alive);
          leaderAfter = view.leader;
          if (lapsedS === null && dead) lapsedS = since();
          const sum = view.monitors.filter((m) => m.alive).reduce((a, m) => a + m.devices, 0);
          if (sharesS === null && dead && sum === N) sharesS = since();
        }
        notOkMax = Math.max(notOkMax, await notOk(lead).catch(() => 0));
        await sleep(500);
      }
      progress(`takeover: ${answeringS === null ? 'not complete' : `${secs(answeringS)} s`}`);
      return { victim, share, leaderBefore: before.leader, leaderAfter, rowsBefore, lapsedS, sharesS, answeringS, allRowsS, rowsLeft, notOkBefore, notOkMax };
    } finally {
      await db.end().catch(() => undefined);
    }
  }

  // Interrupted: the figures are partial, and the signal handler is stopping everything.
  if (!run.stopping) print(figures, takeover, pgNote, opts);
}

function print(figures: ConfigFigures[], takeover: TakeoverFigures | null, pgNote: string, opts: ScaleOutOptions): void {
  const { intervalS, leaseS } = opts;
  const row = (cells: Array<string | number>) => cells.map((c, i) => (i < 2 ? String(c).padEnd(12) : String(c).padStart(10))).join(' ');
  console.log('');
  if (pgNote) console.log(pgNote);
  console.log(row(['config', 'monitor', 'share', 'cycles', 'avg s', 'max s', 'cpu/cyc s', 'cpu/int s', 'gc/int s', 'rss MB', 'ok/cyc', 'failed/cyc', 'pg cpu/int', 'sim cpu/int']));
  for (const f of figures) {
    f.monitors.forEach((m, i) => {
      const d = m.cycles.map((c) => c.duration_ms / 1000);
      console.log(
        row([
          i === 0 ? f.label : '',
          m.id,
          m.share,
          m.cycles.length,
          mean(d).toFixed(2),
          Math.max(...d).toFixed(2),
          mean(m.cycles.map((c) => c.cpu_ms / 1000)).toFixed(2),
          m.cpuPerInterval.toFixed(2),
          m.gcPerInterval.toFixed(2),
          m.rssMb.toFixed(0),
          mean(m.cycles.map((c) => c.ok)).toFixed(0),
          mean(m.cycles.map((c) => c.failed)).toFixed(0),
          i === 0 ? (f.pgCpuPerInterval?.toFixed(2) ?? '-') : '',
          i === 0 ? f.simCpuPerInterval.toFixed(2) : '',
        ]),
      );
    });
    for (const m of f.monitors) {
      console.log(`${''.padEnd(12)} ${m.id} cycles, s/failed: ${m.cycles.map((c) => `${(c.duration_ms / 1000).toFixed(1)}/${c.failed}`).join(' ')}`);
    }
    for (const { id, tally } of f.logs) {
      for (const [msg, t] of tally) console.log(`${''.padEnd(12)} ${id} logged ${t.count} x ${msg}${t.example ? ` (first: ${t.example})` : ''}`);
    }
    console.log(`${''.padEnd(12)} connections ${f.keepAlive === 'kept' ? 'kept alive' : 'closed after each poll'}; settled after ${f.settleS.toFixed(0)} s; leader ${f.leader ?? 'none'}; load ${f.loadBefore} -> ${f.loadAfter}${f.problems.length ? `; ${f.problems.join('; ')}` : ''}`);
  }
  console.log(`(cpu/cyc: the monitor's CPU during its cycles, from last_cycle.cpu_ms; cpu/int: its process's CPU per ${intervalS} s interval in all, from /proc; gc/int: its garbage collection per interval, from /metrics; pg: the postmaster and all its children)`);

  const three = figures.find((f) => f.label === 'postgres x3');
  if (three) {
    const all = three.monitors.flatMap((m) => m.cycles.map((c) => c.duration_ms / 1000));
    const worstAvg = Math.max(...three.monitors.map((m) => mean(m.cycles.map((c) => c.duration_ms / 1000))));
    const max = Math.max(...all);
    console.log(`cycle time with 3 monitors: worst monitor avg ${worstAvg.toFixed(2)} s, max ${max.toFixed(2)} s (target <= 5 s): ${all.length > 0 && max <= 5 ? 'PASS' : 'MISS'}`);
  }
  if (takeover) {
    const t = takeover;
    const promise = intervalS + leaseS;
    const s = (ms: number | null) => (ms === null ? 'not within the wait' : `${secs(ms)} s`);
    console.log(`takeover after kill -9 of ${t.victim} (share ${t.share}, ${t.rowsBefore} rows polled_by ${t.victim}; leader ${t.leaderBefore ?? 'none'} before, ${t.leaderAfter ?? 'none'} after):`);
    console.log(`  lease seen lapsed (GET /api/monitors): ${s(t.lapsedS)}; survivors' shares sum to N: ${s(t.sharesS)}`);
    console.log(`  answering devices all re-polled (no row polled_by ${t.victim} but offline/suspect ones): ${s(t.answeringS)}; every row: ${s(t.allRowsS)}${t.allRowsS === null ? ` (${t.rowsLeft} left)` : ''}`);
    console.log(
      `  promise: interval + lease = ${promise} s: ${t.answeringS !== null && t.answeringS / 1000 <= promise ? 'PASS' : 'MISS'}; offline or suspect devices: ${t.notOkBefore} before, at most ${t.notOkMax} during`,
    );
  }
}
