// Probes a testbed device's /api/health from the host over the testbed network, a new connection
// each time, so that a refused connection shows as ECONNREFUSED (not hidden by a kept-alive one).
// Shared by the update tests (no connection refused during an update) and bench:update (downtime).
import { request } from 'node:http';

export interface HealthProbe {
  start: number;
  end: number;
  /** The version answered with 200, else null. */
  version: string | null;
  /** null, or what went wrong: ECONNREFUSED, ECONNRESET, TIMEOUT, HTTP 503, … */
  error: string | null;
}

export function probeHealth(ip: string, port = 8080, timeoutMs = 10_000): Promise<HealthProbe> {
  const start = Date.now();
  return new Promise((resolve) => {
    let settled = false;
    const done = (version: string | null, error: string | null) => {
      if (settled) return;
      settled = true;
      resolve({ start, end: Date.now(), version, error });
    };
    const req = request({ host: ip, port, path: '/api/health', agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        if (res.statusCode !== 200) return done(null, `HTTP ${res.statusCode}`);
        try {
          done((JSON.parse(body) as { version: string }).version, null);
        } catch {
          done(null, 'bad body');
        }
      });
      res.on('error', (err: NodeJS.ErrnoException) => done(null, err.code ?? err.message));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    req.on('error', (err: NodeJS.ErrnoException) => done(null, err.code ?? err.message));
    req.end();
  });
}

/** Probes until `work` settles (at most 15 min), one probe at a time, at most every `everyMs`. */
export async function probeWhile(ip: string, work: Promise<unknown>, everyMs = 100): Promise<HealthProbe[]> {
  const probes: HealthProbe[] = [];
  let done = false;
  const finished = work.then(
    () => void (done = true),
    () => void (done = true),
  );
  const deadline = Date.now() + 15 * 60_000;
  while (!done && Date.now() < deadline) {
    const p = await probeHealth(ip);
    probes.push(p);
    const wait = everyMs - (Date.now() - p.start);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await finished;
  return probes;
}
