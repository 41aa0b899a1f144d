// Shared helpers for tests: temporary dirs, waiting, free ports, the system chromium, a built service
// as a process.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDeviceConfig, type DeviceConfig } from '../src/config.js';
import { rootDir } from '../src/shared/paths.js';

export const CHROMIUM = process.env.OUTPOST_CHROMIUM_PATH ?? '/usr/lib/chromium/chromium';

export function tempDir(prefix = 'outpost-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A device config from env-style overrides, as the appliance would read it at boot. */
export function deviceConfig(env: Record<string, string> = {}): DeviceConfig {
  return loadDeviceConfig({ OUTPOST_LOG_LEVEL: 'silent', OUTPOST_DEVICE_ID: 'test-device', ...env });
}

export async function waitFor<T>(
  check: () => T | Promise<T>,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${opts.what ?? 'condition'}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A fresh random bearer token: tests and benches never carry a fixed credential. */
export function testToken(): string {
  return randomBytes(18).toString('base64url');
}

/** A stand-in built UI (index.html, an asset, the /vnc/ live view page) for apps under test. */
export function testWebRoot(dir: string): string {
  const root = join(dir, 'web');
  mkdirSync(join(root, 'assets'), { recursive: true });
  mkdirSync(join(root, 'vnc'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>Outpost</title><div id="root"></div>');
  writeFileSync(join(root, 'vnc', 'index.html'), '<!doctype html><title>Outpost live view</title>');
  writeFileSync(join(root, 'assets', 'main.js'), 'console.log(1)');
  return root;
}

/**
 * A built entry point (dist/<service>/src/main.js) run the way systemd runs it: only PATH and the
 * given environment, output captured, status on exit.
 */
export function runBuiltMain(service: 'device' | 'fleet', env: Record<string, string>, opts: { wrapper?: string[] } = {}) {
  // A wrapper (e.g. systemd-socket-activate) runs first and execs node.
  const [cmd, ...args] = [...(opts.wrapper ?? []), process.execPath, join(rootDir, 'dist', service, 'src', 'main.js')];
  const child = spawn(cmd!, args, {
    env: { PATH: process.env.PATH ?? '', OUTPOST_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}
