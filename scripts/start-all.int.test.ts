// Nothing of `npm start` outlives it (issue 12): with a headless and a VNC pool session up, Ctrl-C
// (SIGINT to the whole foreground process group, once or twice) and SIGTERM to the appliance alone
// each leave no chromium, Xvfb, x11vnc or ffmpeg (a recorded session's) of it behind 5 s later.
// start-all.mjs runs here as the terminal would run it: the leader of its own process group.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rootDir } from '../device/src/shared/index.js';
import { CHROMIUM, findOwnedProcesses, freePort, ownerKey, tempDir, waitFor } from '../device/test/index.js';

/** What `npm start` promises after a stop: its session processes are gone within this. */
const GONE_WITHIN_MS = 5_000;
/** A pool session on a loaded 2-core machine: chromium, Xvfb and x11vnc starting. */
const POOL_READY_MS = 120_000;

interface Started {
  child: ChildProcess;
  exited: Promise<number | null>;
  dataDir: string;
  devicePort: number;
  output: () => string;
}

const running: Started[] = [];
const dirs: Array<{ remove(): void }> = [];

afterEach(async () => {
  for (const s of running.splice(0)) {
    try {
      process.kill(-s.child.pid!, 'SIGKILL');
    } catch {
      // gone
    }
    for (const p of findOwnedProcesses(ownerKey(s.dataDir))) process.kill(p.pid, 'SIGKILL');
  }
  for (const d of dirs.splice(0)) d.remove();
});

async function startAll(): Promise<Started> {
  const dir = tempDir();
  dirs.push(dir);
  const [devicePort, fleetPort] = [await freePort(), await freePort()];
  const dataDir = join(dir.path, 'device');
  const child = spawn(process.execPath, [join(rootDir, 'scripts', 'start-all.mjs')], {
    cwd: rootDir,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dir.path,
      OUTPOST_LOG_LEVEL: 'warn',
      OUTPOST_PORT: String(devicePort),
      OUTPOST_FLEET_PORT: String(fleetPort),
      OUTPOST_DATA_DIR: dataDir,
      OUTPOST_FLEET_DB: join(dir.path, 'fleet', 'fleet.sqlite'),
      OUTPOST_CHROMIUM_PATH: CHROMIUM,
      OUTPOST_POOL_HEADLESS: '1',
      OUTPOST_POOL_VNC: '1',
    },
  });
  let output = '';
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const started: Started = { child, exited, dataDir, devicePort, output: () => output };
  running.push(started);
  await waitFor(
    async () => {
      const res = await fetch(`http://127.0.0.1:${devicePort}/api/sessions`).catch(() => null);
      if (!res?.ok) return false;
      const { pool } = (await res.json()) as { pool: { headless: { ready: number }; vnc: { ready: number } } };
      return pool.headless.ready >= 1 && pool.vnc.ready >= 1;
    },
    { timeoutMs: POOL_READY_MS, what: `a headless and a VNC pool session (output: ${output.slice(-500)})` },
  );
  // A recorded client session too: its ffmpeg must go the same way.
  const recorded = await fetch(`http://127.0.0.1:${devicePort}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ vnc: true, record: true }) });
  expect(recorded.status).toBe(201);
  const commands = findOwnedProcesses(ownerKey(dataDir)).map((p) => p.command);
  for (const what of ['chromium', 'Xvfb', 'x11vnc', 'ffmpeg']) expect(commands.some((c) => c.includes(what)), `${what} running before the stop`).toBe(true);
  return started;
}

/** The appliance's own pid: the node process serving OUTPOST_DATA_DIR=<dataDir>. */
function appliancePid(dataDir: string): number {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'latin1');
      const environ = readFileSync(`/proc/${name}/environ`, 'latin1').split('\0');
      if (cmdline.includes('dist/device/src/main.js') && environ.includes(`OUTPOST_DATA_DIR=${dataDir}`)) return Number(name);
    } catch {
      // exited meanwhile
    }
  }
  throw new Error(`no appliance process for ${dataDir}`);
}

async function expectNothingLeft(s: Started): Promise<void> {
  const key = ownerKey(s.dataDir);
  const left = await waitFor(() => (findOwnedProcesses(key).length === 0 ? [] : null), { timeoutMs: GONE_WITHIN_MS, what: 'the session processes to be gone' }).catch(() =>
    findOwnedProcesses(key).map((p) => `${p.pid} ${p.command}`),
  );
  expect(left, `left behind (output: ${s.output().slice(-800)})`).toEqual([]);
}

describe('npm start leaves nothing behind', () => {
  it('on Ctrl-C: one SIGINT to the process group', async () => {
    const s = await startAll();
    process.kill(-s.child.pid!, 'SIGINT');
    expect(await s.exited).toBe(0);
    await expectNothingLeft(s);
  });

  it('on Ctrl-C twice: the second SIGINT makes the services exit at once', async () => {
    const s = await startAll();
    process.kill(-s.child.pid!, 'SIGINT');
    process.kill(-s.child.pid!, 'SIGINT');
    await s.exited;
    await expectNothingLeft(s);
  });

  it('on SIGTERM to the appliance alone', async () => {
    const s = await startAll();
    process.kill(appliancePid(s.dataDir), 'SIGTERM');
    await s.exited;
    await expectNothingLeft(s);
  });
});
