// One chromedriver per WebDriver session, attached to that session's browser over its DevTools
// endpoint on loopback (goog:chromeOptions.debuggerAddress). chromedriver listens on a loopback
// port of its own choosing and takes only local connections; the appliance relays to it. Like the
// session's other processes it leads its own process group, carries the owner marker (so the next
// start of a killed appliance ends it) and is in the exit-hook records (trackGroup).
import { spawn, type ChildProcess } from 'node:child_process';
import { exitOf, stopChild, trackGroup, waitReady } from '../sessions/backends/child-processes.js';
import { OWNER_ENV, SESSION_ENV } from '../sessions/backends/owned-processes.js';

export interface Chromedriver {
  port: number;
  child: ChildProcess;
  /** Settles when the process has exited, with how. */
  exited: Promise<string>;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 15_000;

export async function startChromedriver(opts: { path: string; ownerKey: string; sessionId: string }): Promise<Chromedriver> {
  const child = trackGroup(
    spawn(opts.path, ['--port=0', '--log-level=SEVERE'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/', [OWNER_ENV]: opts.ownerKey, [SESSION_ENV]: opts.sessionId },
    }),
  );
  let output = '';
  let port = 0;
  const collect = (chunk: Buffer) => {
    if (output.length < 16_384) output += chunk.toString('utf8');
    const m = /started successfully on port (\d+)/.exec(output);
    if (m) port = Number(m[1]);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  try {
    await spawned;
    await waitReady(child, 'chromedriver', () => port > 0, START_TIMEOUT_MS, () => output);
  } catch (err) {
    await stopChild(child, 200);
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? `${opts.path} not found (install Debian's chromium-driver, or set OUTPOST_CHROMEDRIVER_PATH)` : (err as Error).message;
    throw new Error(why);
  }
  // Nothing reads its output from here on; keep the pipes from filling.
  child.stdout!.resume();
  child.stderr!.resume();
  return { port, child, exited: exitOf(child), stop: () => stopChild(child, 1000) };
}
