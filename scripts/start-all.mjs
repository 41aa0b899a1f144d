#!/usr/bin/env node
// `npm start`: the device appliance and the fleet monitor on localhost, the monitor watching that
// device. Both are child processes; a signal stops both, and if one dies the other is stopped too.
// Each child leads its own process group, so Ctrl-C (SIGINT to the terminal's whole foreground
// group) reaches them once, forwarded from here as SIGTERM, not twice: a second signal tells a
// service to exit at once. A second Ctrl-C is forwarded as that second signal.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const devicePort = env.OUTPOST_PORT ?? '8080';
const fleetPort = env.OUTPOST_FLEET_PORT ?? '9000';

const services = [
  {
    name: 'device',
    entry: 'dist/device/src/main.js',
    flags: [],
    env: { OUTPOST_DATA_DIR: env.OUTPOST_DATA_DIR ?? join(root, 'data', 'device') },
    url: `http://${env.OUTPOST_HOST ?? '127.0.0.1'}:${devicePort}/`,
  },
  {
    name: 'fleet',
    entry: 'dist/fleet/src/main.js',
    // A heap cap keeps the monitor under 300 MB with 10,000 devices, a 16 MB young generation keeps
    // GC out of the poll cycle (bench:fleet); the same flags are in package.json and the systemd unit.
    flags: ['--max-old-space-size=256', '--max-semi-space-size=16'],
    env: {
      OUTPOST_FLEET_DB: env.OUTPOST_FLEET_DB ?? join(root, 'data', 'fleet', 'fleet.sqlite'),
      OUTPOST_FLEET_LOCAL_DEVICE: env.OUTPOST_FLEET_LOCAL_DEVICE ?? `127.0.0.1:${devicePort}`,
      OUTPOST_FLEET_DEVICE_TOKEN: env.OUTPOST_FLEET_DEVICE_TOKEN ?? env.OUTPOST_API_TOKEN,
    },
    url: `http://${env.OUTPOST_FLEET_HOST ?? '127.0.0.1'}:${fleetPort}/`,
  },
].filter((s) => existsSync(join(root, s.entry)));

const children = new Map();
let stopping = false;

function stopAll(code) {
  if (stopping) {
    // Asked again: the services exit now, ending what they started on the way out.
    for (const child of children.values()) child.kill('SIGINT');
    return;
  }
  stopping = true;
  for (const child of children.values()) child.kill('SIGTERM');
  // A service that takes too long gets the second signal (exit now, ending what it started), and
  // SIGKILL only if even that does not end it.
  const hurry = setTimeout(() => {
    for (const child of children.values()) child.kill('SIGINT');
  }, 20_000);
  const kill = setTimeout(() => {
    for (const child of children.values()) child.kill('SIGKILL');
    process.exit(code);
  }, 30_000);
  hurry.unref();
  kill.unref();
  const check = setInterval(() => {
    if (children.size === 0) {
      clearInterval(check);
      process.exit(code);
    }
  }, 100);
}

async function healthy(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !stopping) {
    try {
      if ((await fetch(`${url}api/health`)).ok) return true;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));
// Whatever ends this script (an error included), the services it started do not outlive it.
process.on('exit', () => {
  for (const child of children.values()) child.kill('SIGTERM');
});

for (const s of services) {
  if (stopping) break;
  const childEnv = { ...env };
  for (const [k, v] of Object.entries(s.env)) if (v !== undefined) childEnv[k] = v;
  const child = spawn(process.execPath, [...s.flags, join(root, s.entry)], { cwd: root, env: childEnv, stdio: 'inherit', detached: true });
  children.set(s.name, child);
  child.on('exit', (code, signal) => {
    children.delete(s.name);
    if (!stopping) {
      process.stderr.write(`[outpost] ${s.name} exited (${signal ?? code}); stopping the others\n`);
      stopAll(code || 1);
    }
  });
  process.stderr.write(`[outpost] ${s.name}: ${s.url}\n`);
  // The monitor's first poll should find the device up, not report it suspect for a cycle.
  if (s.name === 'device') await healthy(s.url.replace('0.0.0.0', '127.0.0.1'), 30_000);
}

