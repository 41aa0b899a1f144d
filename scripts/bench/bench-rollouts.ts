// npm run bench:rollouts — the Rollouts page and a device's update timeline with a large fleet, in
// headless chromium: 10,000 devices in the inventory (in groups and with labels), 20 rollouts of
// history on the stable channel (each superseding the one before, with percent raises, a halt and
// a resume), update reports from a third of the fleet for the current rollout and a long timeline
// for one device. The devices report as scripts/update.sh does (POST /api/updates/report); they are
// not polled (the monitor is built with autoStart: false): rollouts read only the inventory and
// the reports. Prints the time from navigation until the page shows its data.
//
// env: BENCH_DEVICES (10000), BENCH_ROLLOUTS (20), BENCH_RUNS (3)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { buildFleetApp } from '../../fleet/src/app.js';
import { loadFleetConfig } from '../../fleet/src/config.js';
import { writeRelease } from '../../fleet/src/updates/test-support.js';
import { mean } from './stats.js';

const N = Number(process.env.BENCH_DEVICES ?? 10_000);
const ROLLOUTS = Number(process.env.BENCH_ROLLOUTS ?? 20);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const CHROMIUM = process.env.OUTPOST_CHROMIUM_PATH ?? '/usr/lib/chromium/chromium';
const TOKEN = 'bench-rollouts-token-0123456789abcdef';
const TARGET_MS = 1500;

const dir = mkdtempSync(join(tmpdir(), 'outpost-bench-rollouts-'));
const ids = Array.from({ length: N }, (_, i) => `kiosk-${String(i).padStart(5, '0')}`);
const sites = ['lab', 'lisbon', 'porto', 'faro'];
writeFileSync(
  join(dir, 'fleet.yaml'),
  `devices:\n${ids.map((id, i) => `  - {id: ${id}, address: 127.0.0.1, port: ${(i % 60000) + 1}, groups: [${sites[i % 4]}], labels: {site: ${sites[i % 4]}}}`).join('\n')}\n`,
);
const versions = Array.from({ length: ROLLOUTS }, (_, i) => `1.${i}.0`);
for (const v of versions) writeRelease(join(dir, 'releases'), v);

const app = await buildFleetApp(
  loadFleetConfig({
    OUTPOST_LOG_LEVEL: 'error',
    OUTPOST_FLEET_INVENTORY: join(dir, 'fleet.yaml'),
    OUTPOST_FLEET_DB: join(dir, 'fleet.sqlite'),
    OUTPOST_FLEET_TOKEN: TOKEN,
    // High enough that the reported failures never halt the current rollout by themselves.
    OUTPOST_FLEET_ROLLOUT_FAILURE_PCT: '90',
  }),
  { autoStart: false },
);
const auth = { authorization: `Bearer ${TOKEN}` };
const post = async (url: string, payload: object) => {
  const res = await app.inject({ method: 'POST', url, headers: auth, payload });
  if (res.statusCode >= 300) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
};
const report = (device: string, to: string, result: string) =>
  post('/api/updates/report', { device, channel: 'stable', from_version: '1.0.0', to_version: to, result });

try {
  const t0 = performance.now();
  for (const [i, v] of versions.entries()) {
    const target = i % 3 === 1 ? { group: sites[i % 4] } : i % 3 === 2 ? { labels: { site: sites[i % 4]! } } : undefined;
    await post('/api/rollouts/stable', { version: v, percent: 10, ...(target ? { target } : {}) });
    await post('/api/rollouts/stable', { version: v, percent: 50, ...(target ? { target } : {}) });
    if (i % 4 === 0) {
      await post('/api/rollouts/stable/halt', { reason: 'bench' });
      await post('/api/rollouts/stable/resume', {});
    }
    // One device's long timeline: a report per rollout, and a postpone before it.
    await report(ids[0]!, v, 'postponed');
    await report(ids[0]!, v, 'updated');
  }
  const current = versions.at(-1)!;
  const results = ['updated', 'updated', 'updated', 'postponed', 'waiting_window', 'failed'];
  for (let i = 0; i < N / 3; i += 1) await report(ids[i * 3]!, current, results[i % results.length]!);
  const setupS = (performance.now() - t0) / 1000;
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;

  const api0 = performance.now();
  await app.inject({ method: 'GET', url: '/api/rollouts', headers: auth });
  const apiRolloutsMs = performance.now() - api0;

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--disable-gpu'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  // (Runs in the page; this file is type-checked without the DOM library.)
  await page.addInitScript((t) => (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('outpost.token', t), TOKEN);
  const rolloutsMs: number[] = [];
  const timelineMs: number[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    let t = performance.now();
    await page.goto(`${base}/rollouts`);
    await page.locator('[data-testid="count-stable-selected"]').waitFor({ timeout: 30_000 });
    await page.locator(`[data-testid="history-list"] > li`).nth(ROLLOUTS - 1).waitFor({ timeout: 30_000 });
    rolloutsMs.push(performance.now() - t);
    t = performance.now();
    await page.goto(`${base}/devices/${ids[0]}`);
    await page.locator('[data-testid="update-event"]').nth(Math.min(2 * ROLLOUTS, 50) - 1).waitFor({ timeout: 30_000 });
    timelineMs.push(performance.now() - t);
  }
  await browser.close();

  const fmt = (xs: number[]) => `mean ${mean(xs).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;
  console.log(`rollouts bench: ${N} devices, ${ROLLOUTS} rollouts of history, ${Math.floor(N / 3)} reports on the current one (setup ${setupS.toFixed(1)} s)`);
  console.log(`GET /api/rollouts (counts over ${N} devices): ${apiRolloutsMs.toFixed(0)} ms`);
  console.log(`Rollouts page, navigation to counts and full history: ${fmt(rolloutsMs)} over ${RUNS} runs (target <= ${TARGET_MS} ms)`);
  console.log(`device update timeline, navigation to its reports: ${fmt(timelineMs)} over ${RUNS} runs (target <= ${TARGET_MS} ms)`);
  if (Math.max(...rolloutsMs, ...timelineMs) > TARGET_MS) process.exitCode = 1;
} finally {
  await app.close();
  rmSync(dir, { recursive: true, force: true });
}
