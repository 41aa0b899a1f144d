// npm run bench:status — load GET /api/fleet/status of the compiled appliance with autocannon
// (in its own process, so the load generator does not share the event loop) and print
// requests/s and latency percentiles. Loopback only; bounded by duration.
//
// env: BENCH_DURATION_S (10), BENCH_CONNECTIONS (10), BENCH_TOKEN=1 to measure with auth on.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootDir } from '../../device/src/shared/index.js';
import { freePort, testToken, waitFor } from '../../device/test/index.js';

const duration = Number(process.env.BENCH_DURATION_S ?? 10);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);
const withToken = process.env.BENCH_TOKEN === '1';
const token = testToken();

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; p99_9?: number; average: number; max: number };
  errors: number;
  non2xx: number;
}

const port = await freePort();
const data = mkdtempSync(join(tmpdir(), 'outpost-bench-'));
const env: Record<string, string> = {
  ...process.env,
  OUTPOST_PORT: String(port),
  OUTPOST_DATA_DIR: data,
  OUTPOST_LOG_LEVEL: 'warn',
  OUTPOST_POOL_HEADLESS: '0',
  OUTPOST_POOL_VNC: '0',
};
if (withToken) env.OUTPOST_API_TOKEN = token;
const device = spawn(process.execPath, [join(rootDir, 'dist/device/src/main.js')], { env, stdio: ['ignore', 'inherit', 'inherit'] });

try {
  const url = `http://127.0.0.1:${port}/api/fleet/status`;
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/api/health`)).ok, { timeoutMs: 30_000, what: 'the appliance' });
  const autocannon = createRequire(import.meta.url).resolve('autocannon/autocannon.js');
  const run = (seconds: number) =>
    new Promise<AutocannonResult>((resolve, reject) => {
      const args = [autocannon, '-j', '-c', String(connections), '-d', String(seconds)];
      if (withToken) args.push('-H', `authorization=Bearer ${token}`);
      args.push(url);
      const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as AutocannonResult) : reject(new Error(`autocannon exited ${code}`))));
    });
  await run(2); // warm-up: JIT, caches
  const r = await run(duration);
  const rows: [string, string][] = [
    ['endpoint', 'GET /api/fleet/status' + (withToken ? ' (bearer auth)' : '')],
    ['duration', `${duration} s, ${connections} connections`],
    ['requests/s', r.requests.average.toFixed(0)],
    ['total requests', String(r.requests.total)],
    ['latency p50', `${r.latency.p50} ms`],
    ['latency p90', `${r.latency.p90} ms`],
    ['latency p99', `${r.latency.p99} ms`],
    ['latency max', `${r.latency.max} ms`],
    ['errors / non-2xx', `${r.errors} / ${r.non2xx}`],
  ];
  for (const [k, v] of rows) console.log(`${k.padEnd(18)} ${v}`);
  const ok = r.latency.p99 < 5 && r.requests.average >= 5000;
  console.log(`target (p99 < 5 ms, >= 5000 req/s): ${ok ? 'met' : 'NOT met'}`);
} finally {
  device.kill('SIGTERM');
  await new Promise((r) => device.once('exit', r));
  rmSync(data, { recursive: true, force: true });
}
