// Parts of npm run bench:sessions for issue 15, on an appliance bench-sessions.ts started:
//   the cost of recording one VNC session (CPU and memory of everything the session runs, the
//   same session unrecorded next to it, one after the other, on the same moving page),
//   cold start with a 100 MB profile (filled by the browser itself, IndexedDB) against an empty one.
// Loops are bounded: BENCH_RECORD_S seconds per measured session (20), BENCH_PROFILE_STARTS (5).
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { chromium } from 'playwright-core';
import { findOwnedProcesses } from '../../device/test/index.js';
import { percentile as pct } from './stats.js';

const recordS = Number(process.env.BENCH_RECORD_S ?? 20);
const profileStarts = Number(process.env.BENCH_PROFILE_STARTS ?? 5);
const TICKS_PER_S = 100;

export interface EvidenceBench {
  base: string;
  ownerKey: string;
  post(body: object): Promise<{ id: string; ws_endpoint: string }>;
  del(id: string): Promise<void>;
}

/** CPU ticks (user + system) and PSS of everything a session runs, now. */
function usage(ownerKey: string, id: string): { ticks: number; pss: number; procs: string[] } {
  let ticks = 0;
  let pss = 0;
  const procs: string[] = [];
  for (const p of findOwnedProcesses(ownerKey).filter((x) => x.session === id)) {
    try {
      // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
      const stat = readFileSync(`/proc/${p.pid}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(rest[11]) + Number(rest[12]);
      const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${p.pid}/smaps_rollup`, 'utf8'));
      pss += m ? Number(m[1]) * 1024 : 0;
      procs.push(readFileSync(`/proc/${p.pid}/comm`, 'utf8').trim());
    } catch {
      // exited between the listing and the read
    }
  }
  return { ticks, pss, procs };
}

/** A page that keeps changing (the worst case for the encoder short of video): a moving gradient and a counter. */
function movingPage(): Promise<{ url: string; close(): void }> {
  const html = `<!doctype html><title>moving</title><style>
    body{margin:0;height:100vh;background:linear-gradient(90deg,#c33,#36c,#3c6);background-size:300% 100%;animation:m 4s linear infinite;font:64px sans-serif;color:#fff}
    @keyframes m{to{background-position:300% 0}}</style><body><div id=n></div>
    <script>let i=0;setInterval(()=>{document.getElementById('n').textContent=i++},100)</script>`;
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(html));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ url: `http://127.0.0.1:${(server.address() as { port: number }).port}/`, close: () => server.close() })));
}

export async function benchRecording(b: EvidenceBench): Promise<string[]> {
  const page = await movingPage();
  const measure = async (record: boolean) => {
    const s = await b.post({ vnc: true, record, width: 1280, height: 800, start_url: page.url });
    // Past the start: the page runs, the recorder (if any) writes.
    await new Promise((r) => setTimeout(r, 2000));
    const before = usage(b.ownerKey, s.id);
    const t0 = performance.now();
    const pssSamples: number[] = [];
    for (let i = 0; i < recordS; i += 1) {
      await new Promise((r) => setTimeout(r, 1000));
      pssSamples.push(usage(b.ownerKey, s.id).pss);
    }
    const after = usage(b.ownerKey, s.id);
    const seconds = (performance.now() - t0) / 1000;
    const view = (await (await fetch(`${b.base}/api/sessions/${s.id}`)).json()) as { recording: { size_bytes: number } | null };
    await b.del(s.id);
    return { cpuPct: ((after.ticks - before.ticks) / TICKS_PER_S / seconds) * 100, pss: pct(pssSamples, 50), procs: after.procs.length, bytes: view.recording?.size_bytes ?? 0, seconds };
  };
  try {
    await measure(false); // warm-up: page cache, the first Xvfb
    const plain = await measure(false);
    const recorded = await measure(true);
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;
    return [
      `recording one VNC session (1280x800, a moving page, ${recordS} s each, OUTPOST_RECORDING_FPS default 10):`,
      `  unrecorded: CPU ${plain.cpuPct.toFixed(1)}% of a core, PSS ${mib(plain.pss)} in ${plain.procs} processes`,
      `  recorded:   CPU ${recorded.cpuPct.toFixed(1)}% of a core, PSS ${mib(recorded.pss)} in ${recorded.procs} processes`,
      `  overhead:   CPU +${(recorded.cpuPct - plain.cpuPct).toFixed(1)} points, PSS +${mib(recorded.pss - plain.pss)}; video ${((recorded.bytes * 8) / recorded.seconds / 1000).toFixed(0)} kbit/s (${mib(recorded.bytes)} so far)`,
    ];
  } finally {
    page.close();
  }
}

export async function benchProfileStart(b: EvidenceBench): Promise<string[]> {
  // The browser fills the profile itself: 100 blobs of 1 MB (random, so nothing compresses them) in IndexedDB.
  const site = await movingPage();
  const big = `bench-big-${process.pid}`;
  try {
    const s = await b.post({ profile: big });
    const browser = await chromium.connect(s.ws_endpoint);
    const page = await browser.contexts()[0]!.newPage();
    await page.goto(site.url);
    // A string: this project's TypeScript has no DOM types.
    await page.evaluate(`(async () => {
      const db = await new Promise((resolve, reject) => {
        const r = indexedDB.open('bench', 1);
        r.onupgradeneeded = () => r.result.createObjectStore('blobs');
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
      for (let i = 0; i < 100; i += 1) {
        const bytes = new Uint8Array(1024 * 1024);
        for (let o = 0; o < bytes.length; o += 65536) crypto.getRandomValues(bytes.subarray(o, o + 65536));
        await new Promise((resolve, reject) => {
          const tx = db.transaction('blobs', 'readwrite');
          tx.objectStore('blobs').put(new Blob([bytes]), i);
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
        });
      }
    })()`);
    await browser.close();
    await b.del(s.id);
    const profiles = (await (await fetch(`${b.base}/api/profiles`)).json()) as { profiles: Array<{ name: string; size_bytes: number }> };
    const size = profiles.profiles.find((p) => p.name === big)?.size_bytes ?? 0;

    const start = async (profile: string) => {
      const t0 = performance.now();
      const x = await b.post({ profile });
      const c = await chromium.connect(x.ws_endpoint);
      await c.contexts()[0]!.newPage();
      const took = performance.now() - t0;
      await c.close();
      await b.del(x.id);
      return took;
    };
    const empty: number[] = [];
    const full: number[] = [];
    for (let i = 0; i < profileStarts; i += 1) {
      empty.push(await start(`bench-empty-${process.pid}-${i}`));
      full.push(await start(big));
    }
    for (const name of [big, ...empty.map((_, i) => `bench-empty-${process.pid}-${i}`)]) await fetch(`${b.base}/api/profiles/${name}`, { method: 'DELETE' });
    const ms = (n: number) => `${n.toFixed(0)} ms`;
    return [
      `cold start with a profile (POST → connected → first page), n=${profileStarts} each:`,
      `  empty (new) profile:                 p50 ${ms(pct(empty, 50))}`,
      `  ${(size / 1024 / 1024).toFixed(0)} MiB profile (IndexedDB blobs):    p50 ${ms(pct(full, 50))}  (${(pct(full, 50) / pct(empty, 50)).toFixed(2)}x)`,
    ];
  } finally {
    site.close();
  }
}
