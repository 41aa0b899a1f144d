// An in-process appliance on a real loopback port, for tests that need websockets or a browser.
import type { FastifyInstance } from 'fastify';
import { buildApp, type BuildOptions } from '../src/app.js';
import { ownerKey, findOwnedProcesses, type OwnedProcess } from '../src/sessions/backends/owned-processes.js';
import { deviceConfig, tempDir, waitFor } from './helpers.js';

export interface TestAppliance {
  app: FastifyInstance;
  base: string;
  dataDir: string;
  owned(): OwnedProcess[];
  api<T = any>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T; headers: Headers }>;
  close(): Promise<void>;
}

export async function startAppliance(env: Record<string, string> = {}, opts: BuildOptions = {}): Promise<TestAppliance> {
  const dir = env.OUTPOST_DATA_DIR ? { path: env.OUTPOST_DATA_DIR, remove: () => undefined } : tempDir('outpost-appliance-');
  const app = await buildApp(
    deviceConfig({ OUTPOST_DATA_DIR: dir.path, OUTPOST_REAP_INTERVAL_S: '1', OUTPOST_POOL_HEADLESS: '0', OUTPOST_POOL_VNC: '0', ...env }),
    opts,
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const base = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
  const key = ownerKey(dir.path);
  return {
    app,
    base,
    dataDir: dir.path,
    owned: () => findOwnedProcesses(key),
    async api(method, path, body, headers = {}) {
      const res = await fetch(base + path, {
        method,
        headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        redirect: 'manual',
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON
      }
      return { status: res.status, body: parsed as any, headers: res.headers };
    },
    async close() {
      await app.close();
      // Chromium's helper processes exit a moment after the browser does.
      await waitFor(() => findOwnedProcesses(key).length === 0, { timeoutMs: 10_000, what: 'session processes to exit' }).catch(() => undefined);
      dir.remove();
    },
  };
}

export async function waitForPool(t: TestAppliance, headless: number, vnc: number): Promise<void> {
  await waitFor(
    () => {
      const p = t.app.sessionManager.poolView();
      return p.headless.ready >= headless && p.vnc.ready >= vnc;
    },
    { timeoutMs: 60_000, intervalMs: 50, what: `warm pool ${headless}/${vnc}` },
  );
}
