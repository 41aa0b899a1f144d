// The monitor as a process, started the way systemd and the playbooks start it: configuration that
// cannot work stops it at boot with status 1 and a message naming what to fix, read once (the
// store, the inventory and the alert channels while the app is built); a good one listens until
// SIGTERM.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { freePort, runBuiltMain, tempDir, waitFor } from '../../device/test/index.js';
import { MIGRATIONS } from './store/migrations.js';

const runMain = (env: Record<string, string>) => runBuiltMain('fleet', env);

describe('fleet monitor process', () => {
  it.each([
    ['a bad variable', { OUTPOST_FLEET_PORT: 'http' }, /configuration error: OUTPOST_FLEET_PORT: expected an integer/],
    ['an alert channel missing a setting', { OUTPOST_ALERT_TELEGRAM_BOT_TOKEN: '123:abc' }, /configuration error: OUTPOST_ALERT_TELEGRAM_CHAT_ID must be set/],
    ['an inventory that is not there', { OUTPOST_FLEET_INVENTORY: '/nonexistent/outpost/fleet.yaml' }, /configuration error: OUTPOST_FLEET_INVENTORY: .*\/nonexistent\/outpost\/fleet\.yaml/],
  ])('exits with status 1 on %s, naming the variable, without a stack', async (_what, env, message) => {
    const dir = tempDir();
    try {
      const run = runMain({ OUTPOST_FLEET_DB: join(dir.path, 'fleet.sqlite'), ...env });
      expect(await run.exited).toBe(1);
      expect(run.output()).toMatch(message);
      expect(run.output()).not.toMatch(/\n\s+at /);
    } finally {
      dir.remove();
    }
  });

  it('exits with status 1, naming OUTPOST_FLEET_DB, on a store a newer release has migrated, and leaves it as it was', async () => {
    const dir = tempDir();
    const file = join(dir.path, 'fleet.sqlite');
    const newer = MIGRATIONS.length + 1;
    const db = new Database(file);
    db.pragma(`user_version = ${newer}`);
    db.close();
    try {
      const run = runMain({ OUTPOST_FLEET_DB: file, OUTPOST_FLEET_PORT: String(await freePort()) });
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`outpost-fleet: configuration error: OUTPOST_FLEET_DB: ${file} has schema version ${newer}`);
      expect(run.output()).not.toMatch(/\n\s+at /);
      const after = new Database(file, { readonly: true });
      expect(after.pragma('user_version', { simple: true })).toBe(newer);
      after.close();
    } finally {
      dir.remove();
    }
  });

  it('listens on the configured port and shuts down gracefully on SIGTERM', async () => {
    const dir = tempDir();
    const port = await freePort();
    const run = runMain({ OUTPOST_FLEET_PORT: String(port), OUTPOST_FLEET_DB: join(dir.path, 'fleet.sqlite'), OUTPOST_LOG_LEVEL: 'info' });
    try {
      const health = await waitFor(
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/api/health`);
          return res.ok ? ((await res.json()) as { status: string }) : null;
        },
        { timeoutMs: 20_000, what: 'the monitor to answer' },
      );
      expect(health.status).toBe('ok');
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      expect(run.output()).toContain('shutting down');
    } finally {
      run.child.kill('SIGKILL');
      dir.remove();
    }
  });
});
