// npm run bench:sessions — in one run on this machine:
//   warm-pool claim latency (POST → connected Playwright client) p50/p99,
//   cold start through the appliance next to a bare chromium.launchServer() + connect, as a ratio,
//   memory (PSS) per idle session, headless and VNC,
//   connect-and-go from the warm pool (ws://…/playwright and ws://…/cdp: connect → first page)
//   p50/p99 over Playwright and over CDP (Puppeteer),
//   WebDriver new session → first get p50 through /wd/hub next to a bare chromedriver started by hand,
//   the cost of recording a VNC session and cold start with a 100 MB profile (bench-evidence.ts).
// The appliance runs compiled, in its own process, on loopback. Loops are bounded.
//
// env: BENCH_CLAIMS (40), BENCH_COLD (10), BENCH_CONNECTS (30 per protocol), BENCH_WEBDRIVER (10),
// BENCH_RECORD_S (20), BENCH_PROFILE_STARTS (5); BENCH_ONLY=evidence runs only the last two parts.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { Builder } from 'selenium-webdriver';
import { Options as ChromeOptions, ServiceBuilder } from 'selenium-webdriver/chrome.js';
import { rootDir } from '../../device/src/shared/index.js';
import { findOwnedProcesses, freePort, ownerKey, waitFor } from '../../device/test/index.js';
import { benchProfileStart, benchRecording } from './bench-evidence.js';
import { percentile as pct } from './stats.js';

const CHROMIUM = process.env.OUTPOST_CHROMIUM_PATH ?? '/usr/lib/chromium/chromium';
const claims = Number(process.env.BENCH_CLAIMS ?? 40);
const colds = Number(process.env.BENCH_COLD ?? 10);
const connects = Number(process.env.BENCH_CONNECTS ?? 30);
const webdrivers = Number(process.env.BENCH_WEBDRIVER ?? 10);
const CHROMEDRIVER = process.env.OUTPOST_CHROMEDRIVER_PATH ?? '/usr/bin/chromedriver';

const ms = (n: number) => `${n.toFixed(1)} ms`;

const port = await freePort();
const dataDir = mkdtempSync(join(tmpdir(), 'outpost-bench-sessions-'));
const base = `http://127.0.0.1:${port}`;
const device = spawn(process.execPath, [join(rootDir, 'dist/device/src/main.js')], {
  env: {
    ...process.env,
    OUTPOST_PORT: String(port),
    OUTPOST_DATA_DIR: dataDir,
    OUTPOST_LOG_LEVEL: 'warn',
    OUTPOST_POOL_HEADLESS: '2',
    OUTPOST_POOL_VNC: '0',
    OUTPOST_MAX_SESSIONS: '6',
  },
  stdio: ['ignore', 'inherit', 'inherit'],
});

async function post(body: object): Promise<{ id: string; ws_endpoint: string }> {
  const res = await fetch(`${base}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 201) throw new Error(`POST /api/sessions: ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: string; ws_endpoint: string };
}
async function del(id: string): Promise<void> {
  await fetch(`${base}/api/sessions/${id}`, { method: 'DELETE' });
}
async function poolReady(n: number): Promise<void> {
  await waitFor(async () => {
    const r = (await (await fetch(`${base}/api/fleet/status`)).json()) as { sessions: { pool: { headless: { ready: number } } } };
    return r.sessions.pool.headless.ready >= n;
  }, { timeoutMs: 60_000, intervalMs: 20, what: 'warm pool' });
}
const settle = () => new Promise((r) => setTimeout(r, 300));

try {
  await waitFor(async () => (await fetch(`${base}/api/health`)).ok, { timeoutMs: 30_000, what: 'appliance' });

  const evidenceOnly = process.env.BENCH_ONLY === 'evidence';
  if (!evidenceOnly) {
    // Warm-up: JIT on both sides, first-connection costs of the Playwright client.
    for (let i = 0; i < 3; i += 1) {
      await poolReady(1);
      const s = await post({});
      const b = await chromium.connect(s.ws_endpoint);
      await b.close();
      await del(s.id);
    }

    // 1. Warm claims.
    const warm: number[] = [];
    for (let i = 0; i < claims; i += 1) {
      await poolReady(2);
      await settle();
      const t0 = performance.now();
      const s = await post({});
      const b = await chromium.connect(s.ws_endpoint);
      warm.push(performance.now() - t0);
      await b.close();
      await del(s.id);
    }

    // 2. Cold starts (a size no pool session has) next to bare launches, alternating.
    const cold: number[] = [];
    const bare: number[] = [];
    for (let i = 0; i < colds; i += 1) {
      await poolReady(2);
      await settle();
      let t0 = performance.now();
      const s = await post({ width: 1111, height: 777 });
      const b = await chromium.connect(s.ws_endpoint);
      cold.push(performance.now() - t0);
      await b.close();
      await del(s.id);
      await settle();
      t0 = performance.now();
      const server = await chromium.launchServer({ executablePath: CHROMIUM, headless: true, args: ['--window-size=1111,777'] });
      const b2 = await chromium.connect(server.wsEndpoint());
      bare.push(performance.now() - t0);
      await b2.close();
      await server.close();
    }

    // 3. Memory of idle sessions (everything the session runs, PSS).
    const key = ownerKey(dataDir);
    const pss = async (id: string) => {
      const procs = findOwnedProcesses(key).filter((p) => p.session === id);
      let total = 0;
      for (const p of procs) {
        try {
          const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p.pid}/smaps_rollup`, 'utf8'));
          total += m ? Number(m[1]) * 1024 : 0;
        } catch {
          // exited
        }
      }
      return { total, procs: procs.length };
    };
    const h = await post({ width: 1280, height: 800, client_id: 'mem-headless' });
    const v = await post({ vnc: true, width: 1280, height: 800, client_id: 'mem-vnc' });
    await new Promise((r) => setTimeout(r, 3000));
    const hm = await pss(h.id);
    const vm = await pss(v.id);
    await del(h.id);
    await del(v.id);

    // 4. Connect-and-go from the warm pool: the connection (a usable Browser), then a first page, the
    // session ending on disconnect; next to the same client on a bare chromium already running.
    const ws = base.replace(/^http/, 'ws');
    const noClientSessions = () =>
      waitFor(async () => ((await (await fetch(`${base}/api/sessions`)).json()) as { sessions: unknown[] }).sessions.length === 0, { timeoutMs: 30_000, intervalMs: 20, what: 'the session to end' });
    type Timing = { connect: number; page: number };
    const go: Record<'playwright' | 'cdp' | 'barePlaywright' | 'bareCdp', Timing[]> = { playwright: [], cdp: [], barePlaywright: [], bareCdp: [] };
    const rootArgs = process.getuid?.() === 0 ? ['--no-sandbox'] : [];
    const bareServer = await chromium.launchServer({ executablePath: CHROMIUM, headless: true, args: rootArgs });
    const bareCdp = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: rootArgs });
    const timePlaywright = async (url: string): Promise<Timing> => {
      const t0 = performance.now();
      const b = await chromium.connect(url);
      const t1 = performance.now();
      await b.newPage();
      const t2 = performance.now();
      await b.close();
      return { connect: t1 - t0, page: t2 - t0 };
    };
    const timeCdp = async (url: string): Promise<Timing> => {
      const t0 = performance.now();
      const b = await puppeteer.connect({ browserWSEndpoint: url });
      const t1 = performance.now();
      const page = await b.newPage();
      const t2 = performance.now();
      await page.close();
      await b.disconnect();
      return { connect: t1 - t0, page: t2 - t0 };
    };
    try {
      for (let i = 0; i < connects; i += 1) {
        await poolReady(2);
        await settle();
        go.playwright.push(await timePlaywright(`${ws}/playwright`));
        await noClientSessions();
        await poolReady(2);
        await settle();
        go.cdp.push(await timeCdp(`${ws}/cdp`));
        await noClientSessions();
        await settle();
        go.barePlaywright.push(await timePlaywright(bareServer.wsEndpoint()));
        go.bareCdp.push(await timeCdp(bareCdp.wsEndpoint()));
      }
    } finally {
      await bareServer.close();
      await bareCdp.close();
    }

    // 5. WebDriver: new session → first get, through /wd/hub (warm pool) and on a bare chromedriver
    // started by hand (it launches its own chromium per session), alternating.
    const page = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>bench</title><h1>bench</h1>'));
    await new Promise<void>((r) => page.listen(0, '127.0.0.1', r));
    const pageUrl = `http://127.0.0.1:${(page.address() as { port: number }).port}/`;
    const service = new ServiceBuilder(CHROMEDRIVER).setPort(await freePort()).build();
    const bareDriverUrl = await service.start();
    const wdOutpost: number[] = [];
    const wdBare: number[] = [];
    try {
      for (let i = 0; i < webdrivers; i += 1) {
        await poolReady(2);
        await settle();
        let t0 = performance.now();
        const d = await new Builder().usingServer(`${base}/wd/hub`).forBrowser('chrome').build();
        await d.get(pageUrl);
        wdOutpost.push(performance.now() - t0);
        await d.quit();
        await settle();
        const options = new ChromeOptions().setChromeBinaryPath(CHROMIUM);
        options.addArguments('--headless', ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []));
        t0 = performance.now();
        const b = await new Builder().usingServer(bareDriverUrl).forBrowser('chrome').setChromeOptions(options).build();
        await b.get(pageUrl);
        wdBare.push(performance.now() - t0);
        await b.quit();
      }
    } finally {
      await service.kill();
      page.close();
    }

    const mib = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;
    console.log(`warm claim (POST -> connected client), n=${warm.length}:  p50 ${ms(pct(warm, 50))}  p99 ${ms(pct(warm, 99))}  (target p50 <= 60 ms)`);
    console.log(`cold start through the appliance, n=${cold.length}:        p50 ${ms(pct(cold, 50))}`);
    console.log(`bare launchServer() + connect, n=${bare.length}:            p50 ${ms(pct(bare, 50))}`);
    console.log(`cold / bare ratio (p50):                            ${(pct(cold, 50) / pct(bare, 50)).toFixed(2)}x  (target <= 1.3x)`);
    console.log(`idle headless session: ${mib(hm.total)} PSS in ${hm.procs} processes`);
    console.log(`idle VNC session (chromium + Xvfb + x11vnc): ${mib(vm.total)} PSS in ${vm.procs} processes`);
    const figures = (label: string, t: Timing[]) => {
      const c = t.map((x) => x.connect);
      const p = t.map((x) => x.page);
      console.log(`${label.padEnd(58)} connect p50 ${ms(pct(c, 50))} p99 ${ms(pct(c, 99))}   → first page p50 ${ms(pct(p, 50))} p99 ${ms(pct(p, 99))}`);
    };
    console.log(`connect-and-go from the warm pool, n=${connects} per protocol (target p50 <= 60 ms):`);
    figures('  Playwright, ws://…/playwright', go.playwright);
    figures('  CDP (Puppeteer), ws://…/cdp', go.cdp);
    figures('  bare: Playwright on a running launchServer()', go.barePlaywright);
    figures('  bare: Puppeteer on a running chromium', go.bareCdp);
    console.log(`WebDriver new session → first get through /wd/hub, n=${wdOutpost.length}:            p50 ${ms(pct(wdOutpost, 50))}`);
    console.log(`WebDriver new session → first get on a bare chromedriver, n=${wdBare.length}:         p50 ${ms(pct(wdBare, 50))}`);
    console.log(`WebDriver Outpost / bare ratio (p50):                              ${(pct(wdOutpost, 50) / pct(wdBare, 50)).toFixed(2)}x  (target <= 1.3x)`);
  }
  // 6, 7. Recording's cost, and a large profile's cold start (bench-evidence.ts).
  const evidence = { base, ownerKey: ownerKey(dataDir), post, del };
  for (const line of [...(await benchRecording(evidence)), ...(await benchProfileStart(evidence))]) console.log(line);
} finally {
  device.kill('SIGTERM');
  await new Promise((r) => device.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
}
