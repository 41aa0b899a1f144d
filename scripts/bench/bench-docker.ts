// npm run bench:docker — the docker backend, in one run on this machine:
//   warm claim (POST → connected Playwright client) p50 next to a cold container start
//   (create → healthy → connected) p50;
//   time to recover state after a kill -9 and restart with 20 session containers.
// The appliance runs compiled, in its own process; every container it starts is removed at the end.
//
// env: BENCH_CLAIMS (15), BENCH_COLD (5), BENCH_RECOVER (20)
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { chromium } from 'playwright-core';
import { ensureDockerd, freePort, managedFilter, ownerKey, waitFor } from '../../device/test/index.js';
import { rootDir } from '../../device/src/shared/index.js';
import { percentile as pct } from './stats.js';

const claims = Number(process.env.BENCH_CLAIMS ?? 15);
const colds = Number(process.env.BENCH_COLD ?? 5);
const recoverN = Number(process.env.BENCH_RECOVER ?? 20);

await ensureDockerd();
execFileSync(join(rootDir, 'scripts/images/build-session-image.sh'), { stdio: 'inherit' });
const version = execFileSync('cat', [join(rootDir, 'VERSION')]).toString().trim();
const docker = new Docker({ socketPath: '/var/run/docker.sock' });
const dataDir = mkdtempSync(join(tmpdir(), 'outpost-bench-docker-'));
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const network = `outpost-bench-${process.pid}`;
const env = {
  ...process.env,
  OUTPOST_PORT: String(port),
  OUTPOST_DATA_DIR: dataDir,
  OUTPOST_LOG_LEVEL: 'warn',
  OUTPOST_BACKEND: 'docker',
  OUTPOST_DOCKER_IMAGE: `outpost-session:${version}`,
  OUTPOST_DOCKER_NETWORK: network,
  OUTPOST_DOCKER_SUBNET: '10.251.77.0/24',
  OUTPOST_DOCKER_PORT_MIN: '41000',
  OUTPOST_DOCKER_PORT_MAX: '41099',
  OUTPOST_MAX_SESSIONS: String(recoverN + 4),
  OUTPOST_POOL_HEADLESS: '2',
  OUTPOST_POOL_VNC: '0',
};
const start = (extra: Record<string, string> = {}): ChildProcess =>
  spawn(process.execPath, [join(rootDir, 'dist/device/src/main.js')], { env: { ...env, ...extra }, stdio: ['ignore', 'inherit', 'inherit'] });
async function post(body: object) {
  const res = await fetch(`${base}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`POST: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; ws_endpoint: string };
}
const del = (id: string) => fetch(`${base}/api/sessions/${id}`, { method: 'DELETE' });
const poolReady = (n: number) =>
  waitFor(async () => ((await (await fetch(`${base}/api/fleet/status`)).json()) as { sessions: { pool: { headless: { ready: number } } } }).sessions.pool.headless.ready >= n, {
    timeoutMs: 120_000,
    intervalMs: 50,
    what: 'pool',
  });

let child = start();
try {
  await waitFor(async () => (await fetch(`${base}/api/health`)).ok, { timeoutMs: 30_000, what: 'appliance' });
  // Warm-up
  await poolReady(1);
  const w = await post({});
  await (await chromium.connect(w.ws_endpoint)).close();
  await del(w.id);

  const warm: number[] = [];
  for (let i = 0; i < claims; i += 1) {
    await poolReady(2);
    const t0 = performance.now();
    const s = await post({});
    const b = await chromium.connect(s.ws_endpoint);
    warm.push(performance.now() - t0);
    await b.close();
    await del(s.id);
  }
  const cold: number[] = [];
  for (let i = 0; i < colds; i += 1) {
    await poolReady(2);
    const t0 = performance.now();
    const s = await post({ width: 1111, height: 777 });
    const b = await chromium.connect(s.ws_endpoint);
    cold.push(performance.now() - t0);
    await b.close();
    await del(s.id);
  }

  // Recovery: N client containers, kill -9, restart, until all N are served again.
  await poolReady(2);
  const ids: string[] = [];
  let next = 0;
  await Promise.all(
    [0, 1, 2, 3].map(async () => {
      while (next < recoverN) {
        next += 1;
        ids.push((await post({ client_id: `bench-${next}` })).id);
      }
    }),
  );
  const containers = (await docker.listContainers({ filters: { label: managedFilter(ownerKey(dataDir)) } })).length;
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const t0 = performance.now();
  child = start({ OUTPOST_POOL_HEADLESS: '0' });
  await waitFor(async () => {
    const r = await fetch(`${base}/api/sessions`).catch(() => null);
    if (!r?.ok) return false;
    return ((await r.json()) as { sessions: unknown[] }).sessions.length === recoverN;
  }, { timeoutMs: 120_000, intervalMs: 10, what: 'recovery' });
  const recoverMs = performance.now() - t0;

  // Baseline: the same restart with nothing to recover.
  for (const id of ids) await del(id);
  await waitFor(async () => (await docker.listContainers({ all: true, filters: { label: managedFilter(ownerKey(dataDir)) } })).length === 0, { timeoutMs: 60_000, what: 'empty' });
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  const t1 = performance.now();
  child = start({ OUTPOST_POOL_HEADLESS: '0' });
  await waitFor(async () => (await fetch(`${base}/api/sessions`).catch(() => null))?.ok === true, { timeoutMs: 60_000, intervalMs: 10, what: 'baseline restart' });
  const baselineMs = performance.now() - t1;

  console.log(`warm claim (POST -> connected client), n=${warm.length}:            p50 ${pct(warm, 50).toFixed(0)} ms  p99 ${pct(warm, 99).toFixed(0)} ms`);
  console.log(`cold container start (create -> healthy -> connected), n=${cold.length}: p50 ${pct(cold, 50).toFixed(0)} ms  (${(pct(cold, 50) / pct(warm, 50)).toFixed(0)}x the warm claim)`);
  console.log(`recover after kill -9 with ${recoverN} client sessions (${containers} containers incl. pool): ${recoverMs.toFixed(0)} ms from process start to all ${recoverN} sessions served`);
  console.log(`  same restart with nothing to recover: ${baselineMs.toFixed(0)} ms, so reconciling ${containers} containers costs ~${(recoverMs - baselineMs).toFixed(0)} ms`);
} finally {
  child.kill('SIGTERM');
  await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  for (const c of await docker.listContainers({ all: true, filters: { label: managedFilter(ownerKey(dataDir)) } })) {
    await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  }
  await docker.getNetwork(network).remove().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
}
