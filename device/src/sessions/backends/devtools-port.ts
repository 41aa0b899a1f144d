// Where a chromium that Playwright launched serves the DevTools protocol over HTTP and websockets,
// for CDP clients (Puppeteer, connectOverCDP, CDP agents). Playwright drives the browser over a
// pipe and picks its profile directory itself; the browser also gets --remote-debugging-port=0 on
// 127.0.0.1, and the port it chose is read back from DevToolsActivePort in that profile, which is
// on the browser's command line. Only the appliance's relay (/sessions/:id/cdp) is the way in from
// outside: the port is on loopback.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** The chromium switches that make it serve DevTools on a free loopback port. */
export const DEVTOOLS_ARGS = ['--remote-debugging-port=0', '--remote-debugging-address=127.0.0.1'];

/** The DevTools port of the browser process `pid`, waiting up to `timeoutMs` for chromium to write it. */
export async function devToolsPort(pid: number, timeoutMs: number, signal?: AbortSignal): Promise<number> {
  const args = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
  const profile = args.find((a) => a.startsWith('--user-data-dir='))?.slice('--user-data-dir='.length);
  if (!profile) throw new Error('the browser has no --user-data-dir on its command line');
  const file = join(profile, 'DevToolsActivePort');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const port = Number((await readFile(file, 'utf8').catch(() => '')).split('\n')[0]);
    if (Number.isInteger(port) && port > 0 && port < 65536) return port;
    if (Date.now() > deadline) throw new Error(`chromium did not write ${file} within ${timeoutMs} ms`);
    await delay(25, undefined, { signal });
  }
}
