// Nothing leaks: many create/delete cycles leave no process and no file descriptors behind, and a
// `kill -9` of the appliance is cleaned up by the next start.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import puppeteer from 'puppeteer-core';
import { describe, expect, it } from 'vitest';
import { startAppliance } from '../../test/appliance.js';
import { freePort, tempDir, waitFor } from '../../test/helpers.js';
import { rootDir } from '../shared/paths.js';
import { findOwnedProcesses, isAlive, ownerKey } from './backends/owned-processes.js';

const openFds = () => readdirSync('/proc/self/fd').length;

describe('leaks', () => {
  it('80 create/delete cycles (mixed headless and VNC) leave no processes and no descriptor growth', { timeout: 600_000 }, async () => {
    const t = await startAppliance({ OUTPOST_MAX_SESSIONS: '4' });
    const displays = new Set<number>();
    const cycle = async (i: number) => {
      const vnc = i % 4 === 0;
      const res = await t.api('POST', '/api/sessions', vnc ? { vnc: true } : {});
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      if (vnc) {
        const state = JSON.parse(readFileSync(join(t.dataDir, 'state.json'), 'utf8'));
        const d = state.sessions.find((s: { id: string }) => s.id === res.body.id)?.record.display;
        if (typeof d === 'number') displays.add(d);
      }
      const del = await t.api('DELETE', `/api/sessions/${res.body.id}`);
      expect(del.status).toBe(200);
    };
    try {
      // Warm up: the first cycles load code and open long-lived handles (logger, sockets).
      for (let i = 0; i < 4; i += 1) await cycle(i);
      await waitFor(() => t.owned().length === 0, { timeoutMs: 15_000, what: 'warm-up processes to exit' });
      const fdsBefore = openFds();
      // 80 cycles (20 of them VNC): a leak of one descriptor or process per cycle still shows eight
      // times over the threshold; what a cycle does in the manager is in session-manager.test.ts.
      const total = 80;
      let next = 0;
      const worker = async () => {
        while (next < total) await cycle(next++);
      };
      await Promise.all([worker(), worker()]);
      await waitFor(() => t.owned().length === 0, { timeoutMs: 20_000, what: 'all session processes to exit' });
      expect(t.app.sessionManager.all()).toEqual([]);
      const fdsAfter = openFds();
      expect(fdsAfter - fdsBefore, `fds ${fdsBefore} -> ${fdsAfter}`).toBeLessThanOrEqual(10);
      expect(displays.size).toBeGreaterThan(0);
      for (const d of displays) {
        const lock = `/tmp/.X${d}-lock`;
        // Either gone, or taken again by a live X server of someone else.
        if (existsSync(lock)) expect(isAlive(Number(readFileSync(lock, 'utf8').trim()))).toBe(true);
      }
      expect(readdirSync(join(t.dataDir, 'sessions'))).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

describe('connect-and-go leaks', () => {
  it('200 connect/disconnect cycles on /playwright and /cdp (warm pool on) leave no client session, process or descriptor behind', { timeout: 900_000 }, async () => {
    const t = await startAppliance({ OUTPOST_POOL_HEADLESS: '1', OUTPOST_MAX_SESSIONS: '4' });
    const ws = t.base.replace(/^http/, 'ws');
    const cycle = async (i: number) => {
      if (i % 2 === 0) {
        const browser = await chromium.connect(`${ws}/playwright`);
        await browser.close();
      } else {
        const browser = await puppeteer.connect({ browserWSEndpoint: `${ws}/cdp` });
        await browser.disconnect();
      }
    };
    // Only the warm pool's session may own processes once every client has gone.
    const onlyPoolLeft = () => {
      if (t.app.sessionManager.list().length > 0) return false;
      const pool = new Set(t.app.sessionManager.all().filter((s) => s.pool).map((s) => s.id));
      return t.owned().every((p) => p.session !== null && pool.has(p.session));
    };
    try {
      for (let i = 0; i < 4; i += 1) await cycle(i);
      await waitFor(onlyPoolLeft, { timeoutMs: 20_000, what: 'warm-up sessions to end' });
      const fdsBefore = openFds();
      for (let i = 0; i < 200; i += 1) await cycle(i);
      await waitFor(onlyPoolLeft, { timeoutMs: 30_000, what: 'every connect-and-go session and its processes to end' });
      const ended = await t.app.metrics.registry.getSingleMetric('outpost_sessions_ended_total')!.get();
      expect(ended.values.filter((v) => v.labels.reason === 'disconnected').reduce((n, v) => n + v.value, 0)).toBe(204);
      const fdsAfter = openFds();
      expect(fdsAfter - fdsBefore, `fds ${fdsBefore} -> ${fdsAfter}`).toBeLessThanOrEqual(10);
      const live = new Set(t.app.sessionManager.all().map((s) => s.id));
      expect(readdirSync(join(t.dataDir, 'sessions')).filter((d) => !live.has(d))).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

function startMain(dataDir: string, port: number): ChildProcess {
  return spawn(process.execPath, [join(rootDir, 'dist/device/src/main.js')], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      OUTPOST_PORT: String(port),
      OUTPOST_DATA_DIR: dataDir,
      OUTPOST_LOG_LEVEL: 'warn',
      OUTPOST_POOL_HEADLESS: '1',
      OUTPOST_POOL_VNC: '1',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}

async function api(port: number, method: string, path: string, body?: unknown) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as any };
}

describe('kill -9 recovery', () => {
  it('after kill -9 and a restart, no process of the old run remains, displays are free and state matches reality', { timeout: 180_000 }, async () => {
    const dir = tempDir('outpost-kill9-');
    const port = await freePort();
    const key = ownerKey(dir.path);
    let child = startMain(dir.path, port);
    try {
      await waitFor(async () => (await api(port, 'GET', '/api/fleet/status')).body.sessions.pool.vnc.ready === 1, { timeoutMs: 60_000, what: 'pool' });
      const headless = (await api(port, 'POST', '/api/sessions', { client_id: 'a' })).body;
      const vnc = (await api(port, 'POST', '/api/sessions', { vnc: true, width: 800, height: 600 })).body;
      await waitFor(async () => (await api(port, 'GET', '/api/fleet/status')).body.sessions.pool.vnc.ready === 1, { timeoutMs: 60_000, what: 'refill' });
      const state = JSON.parse(readFileSync(join(dir.path, 'state.json'), 'utf8'));
      const oldIds = state.sessions.map((s: { id: string }) => s.id);
      expect(oldIds).toEqual(expect.arrayContaining([headless.id, vnc.id]));
      const oldDisplays: number[] = state.sessions.map((s: { record: { display: number | null } }) => s.record.display).filter((d: unknown) => typeof d === 'number');
      const oldProcs = findOwnedProcesses(key);
      expect(oldProcs.some((p) => p.command.endsWith('Xvfb'))).toBe(true);
      expect(oldProcs.some((p) => p.command.endsWith('x11vnc'))).toBe(true);
      expect(oldProcs.some((p) => p.command.includes('chromium'))).toBe(true);

      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      // The orphans are still there until the next start reconciles.
      expect(oldProcs.filter((p) => isAlive(p.pid)).length).toBeGreaterThan(0);

      child = startMain(dir.path, port);
      await waitFor(async () => (await api(port, 'GET', '/api/health')).status === 200, { timeoutMs: 30_000, what: 'restart' });
      for (const p of oldProcs) expect(isAlive(p.pid), `${p.command} ${p.pid}`).toBe(false);
      for (const d of oldDisplays) {
        const lock = `/tmp/.X${d}-lock`;
        if (existsSync(lock)) {
          const pid = Number(readFileSync(lock, 'utf8').trim());
          expect(oldProcs.some((p) => p.pid === pid)).toBe(false);
        }
      }
      expect((await api(port, 'GET', '/api/sessions')).body.sessions).toEqual([]);
      expect((await api(port, 'GET', `/api/sessions/${headless.id}`)).status).toBe(404);
      const newState = JSON.parse(readFileSync(join(dir.path, 'state.json'), 'utf8'));
      for (const s of newState.sessions) expect(oldIds).not.toContain(s.id);
      // The new run fills its pool again, and only its own processes exist.
      await waitFor(async () => (await api(port, 'GET', '/api/fleet/status')).body.sessions.pool.vnc.ready === 1, { timeoutMs: 60_000, what: 'new pool' });
      const live = findOwnedProcesses(key);
      const liveSessions = new Set(live.map((p) => p.session));
      for (const id of liveSessions) expect(oldIds).not.toContain(id);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      await waitFor(() => findOwnedProcesses(key).length === 0, { timeoutMs: 15_000, what: 'cleanup' }).catch(() => undefined);
      dir.remove();
    }
  });
});
