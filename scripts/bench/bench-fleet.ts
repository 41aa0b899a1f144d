// npm run bench:fleet — the fleet monitor against simulated devices on loopback (a share of them
// down or slow), in one run on this machine. Two modes, chosen by BENCH_MODE:
//
// BENCH_MODE=default (or unset): 10,000 devices
//   1. the monitor (compiled, its own process): poll cycle duration, CPU seconds per cycle, peak RSS;
//   2. Prometheus (Debian's package) scraping the same 10,000 targets at the same interval: CPU
//      seconds per interval, and the ratio to the monitor's;
//   3. the dashboard with 10,000 devices in headless chromium: time until the first rows render.
// BENCH_MODE=scale-out: 30,000 devices, monitors sharing one PostgreSQL (bench-fleet-scale-out.ts)
//   1. one monitor on a SQLite file: the single-monitor figure;
//   2. 1, then 2, then 3 monitors on one throwaway PostgreSQL (Debian's package, a fresh database
//      each): per monitor its share, cycle time, CPU per cycle and peak RSS; PostgreSQL's CPU;
//   3. with 3, kill -9 of one: the time until the others poll its devices, beside the promise
//      (poll interval + lease). Target: cycle time <= 5 s with 3 monitors.
// Everything listens on 127.0.0.0/8; every loop is bounded in count and time; Ctrl-C stops every
// simulator, monitor and PostgreSQL the run started (fleet-bench-kit.ts).
//
// env: BENCH_MODE (default), BENCH_DEVICES (10000; scale-out 30000), BENCH_CYCLES (5),
// BENCH_INTERVAL_S (15), BENCH_DOWN_PCT (3), BENCH_SLOW_PCT (2); scale-out also BENCH_LEASE_S (15),
// BENCH_SIM_WORKERS (a worker per 4,000 devices, at least 4), BENCH_SIM_KEEPALIVE (auto: the simulators
// keep connections alive unless a monitor's share needs more descriptors than the hard limit; kept; closed)
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { freePort, waitFor } from '../../device/test/index.js';
import { simAddress } from '../../fleet/test/device-simulator.js';
import { runScaleOut } from './bench-fleet-scale-out.js';
import { cpuSeconds, createBenchRun, MONITOR_FLAGS, MONITOR_MAIN, peakRssMb, metric, startSimulatorWorkers, writeInventory, type BenchRun, type FleetShape } from './fleet-bench-kit.js';
import { mean } from './stats.js';

const MODES = ['default', 'scale-out'] as const;
const MODE = process.env.BENCH_MODE ?? 'default';
if (!(MODES as readonly string[]).includes(MODE)) {
  console.error(`BENCH_MODE: expected one of ${MODES.join(', ')}, got "${MODE}"`);
  process.exit(2);
}
const N = Number(process.env.BENCH_DEVICES ?? (MODE === 'scale-out' ? 30_000 : 10_000));
const CYCLES = Number(process.env.BENCH_CYCLES ?? 5);
const INTERVAL_S = Number(process.env.BENCH_INTERVAL_S ?? 15);
const DOWN_PCT = Number(process.env.BENCH_DOWN_PCT ?? 3);
const SLOW_PCT = Number(process.env.BENCH_SLOW_PCT ?? 2);
const TIMEOUT_MS = 3000;
const WORKERS = 4;
const SIM_PORT = 18090;
const CHROMIUM = process.env.OUTPOST_CHROMIUM_PATH ?? '/usr/lib/chromium/chromium';
const shape: FleetShape = { devices: N, downPct: DOWN_PCT, slowPct: SLOW_PCT, timeoutMs: TIMEOUT_MS, simPort: SIM_PORT };

async function runDefault(run: BenchRun): Promise<void> {
  const dir = run.dir;
  // --- simulators ----------------------------------------------------------------------------
  await startSimulatorWorkers(run, shape, WORKERS);

  // --- the monitor ---------------------------------------------------------------------------
  const inventory = writeInventory(join(dir, 'fleet.yaml'), shape);
  const fleetPort = await freePort();
  const monitor = run.spawnWithFiles(process.execPath, [...MONITOR_FLAGS, MONITOR_MAIN], {
    ...process.env,
    OUTPOST_FLEET_PORT: String(fleetPort),
    OUTPOST_FLEET_INVENTORY: inventory,
    OUTPOST_FLEET_DB: join(dir, 'fleet.sqlite'),
    OUTPOST_FLEET_POLL_INTERVAL_S: String(INTERVAL_S),
    OUTPOST_FLEET_POLL_JITTER_PCT: '0',
    OUTPOST_FLEET_POLL_TIMEOUT_MS: String(TIMEOUT_MS),
    OUTPOST_LOG_LEVEL: 'warn',
  });
  const fleetUrl = `http://127.0.0.1:${fleetPort}`;
  await waitFor(async () => (await fetch(`${fleetUrl}/api/health`).catch(() => null))?.ok === true, { timeoutMs: 60_000, what: 'monitor' });
  const cycles: Array<{ durationS: number; cpuS: number; polled: number }> = [];
  let lastStart = '';
  const deadline = Date.now() + (CYCLES + 3) * INTERVAL_S * 1000 + 120_000;
  while (cycles.length < CYCLES + 1 && Date.now() < deadline) {
    const summary = (await (await fetch(`${fleetUrl}/api/devices/summary`)).json()) as { last_cycle: { started_at: string; duration_ms: number; polled: number } | null };
    const c = summary.last_cycle;
    if (c && c.started_at !== lastStart) {
      lastStart = c.started_at;
      const cpuS = await metric(`${fleetUrl}/metrics`, 'outpost_fleet_cycle_cpu_seconds');
      cycles.push({ durationS: c.duration_ms / 1000, cpuS, polled: c.polled });
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  // `bash -c 'ulimit … && exec node …'`: the child's pid is the monitor's.
  const monitorPid = monitor.pid!;
  // The first cycle starts every device cold (connections, JIT); the rest are the steady state.
  const steady = cycles.slice(1);
  const wallCpuStart = cpuSeconds(monitorPid);
  await new Promise((r) => setTimeout(r, INTERVAL_S * 2 * 1000));
  const monitorCpuPerInterval = (cpuSeconds(monitorPid) - wallCpuStart) / 2;
  const rss = peakRssMb(monitorPid);
  const summary = (await (await fetch(`${fleetUrl}/api/devices/summary`)).json()) as { by_status: Record<string, number> };

  // --- the dashboard -------------------------------------------------------------------------
  let renderMs = NaN;
  try {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-gpu'] });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    for (let i = 0; i < 2; i += 1) {
      const t0 = performance.now();
      await page.goto(`${fleetUrl}/`);
      await page.locator('[data-testid^="device-row-"]').first().waitFor({ timeout: 30_000 });
      renderMs = performance.now() - t0;
    }
    await browser.close();
  } catch (err) {
    console.error(`dashboard measurement failed: ${(err as Error).message}`);
  }
  await run.stop(monitor);

  // --- Prometheus ----------------------------------------------------------------------------
  const promPort = await freePort();
  const targets = Array.from({ length: N }, (_, i) => `${simAddress(i)}:${SIM_PORT}`);
  writeFileSync(join(dir, 'targets.json'), JSON.stringify([{ targets, labels: { job: 'outpost' } }]));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: ${INTERVAL_S}s\n  scrape_timeout: ${TIMEOUT_MS / 1000}s\nscrape_configs:\n  - job_name: outpost\n    file_sd_configs:\n      - files: ['${join(dir, 'targets.json')}']\n`,
  );
  const prom = run.spawnWithFiles('prometheus', [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'tsdb')}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
    '--log.level=warn',
  ]);
  await waitFor(async () => (await fetch(`http://127.0.0.1:${promPort}/-/ready`).catch(() => null))?.ok === true, { timeoutMs: 60_000, what: 'prometheus' });
  // Let it reach its steady state (first scrapes, head block), then measure whole intervals.
  await new Promise((r) => setTimeout(r, INTERVAL_S * 2 * 1000));
  const promPid = prom.pid!;
  const promStart = cpuSeconds(promPid);
  await new Promise((r) => setTimeout(r, INTERVAL_S * CYCLES * 1000));
  const promCpuPerInterval = (cpuSeconds(promPid) - promStart) / CYCLES;
  const promRss = peakRssMb(promPid);
  const up = await fetch(`http://127.0.0.1:${promPort}/api/v1/query?query=count(up==1)`).then((r) => r.json() as Promise<{ data: { result: Array<{ value: [number, string] }> } }>);
  await run.stop(prom);

  const avg = mean;
  const maxDuration = Math.max(...steady.map((c) => c.durationS));
  const cpuPerCycle = avg(steady.map((c) => c.cpuS));
  console.log(`devices: ${N} (${DOWN_PCT}% down, ${SLOW_PCT}% slow past the ${TIMEOUT_MS} ms timeout), interval ${INTERVAL_S} s, ${steady.length} steady cycles`);
  console.log(`monitor statuses: ${JSON.stringify(summary.by_status)}`);
  console.log(`poll cycle duration: avg ${avg(steady.map((c) => c.durationS)).toFixed(2)} s, max ${maxDuration.toFixed(2)} s (target <= 5 s)`);
  console.log(`monitor CPU per cycle: ${cpuPerCycle.toFixed(2)} s during the cycle, ${monitorCpuPerInterval.toFixed(2)} s per ${INTERVAL_S} s interval in all`);
  console.log(`monitor peak RSS: ${rss.toFixed(0)} MB (target <= 300 MB)`);
  console.log(`prometheus ${INTERVAL_S} s interval: ${promCpuPerInterval.toFixed(2)} CPU s per interval, peak RSS ${promRss.toFixed(0)} MB, up targets ${up.data.result[0]?.value[1] ?? '?'}`);
  console.log(`CPU ratio monitor / prometheus (per interval): ${(monitorCpuPerInterval / promCpuPerInterval).toFixed(2)} (target <= 1)`);
  console.log(`dashboard with ${N} devices, navigation to first rows: ${renderMs.toFixed(0)} ms (target <= 1500 ms)`);
}

const run = createBenchRun('outpost-bench-fleet-');
try {
  if (MODE === 'scale-out') await runScaleOut(run, { shape, cycles: CYCLES, intervalS: INTERVAL_S, leaseS: Number(process.env.BENCH_LEASE_S ?? 15) });
  else await runDefault(run);
} finally {
  await run.close();
}
