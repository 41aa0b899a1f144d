// The monitor as a process, started the way systemd and the playbooks start it: configuration that
// cannot work stops it at boot with status 1 and a message naming what to fix, read once (the
// store, the inventory and the alert channels while the app is built); a good one listens until
// SIGTERM, on a SQLite file or on PostgreSQL (a throwaway cluster, fleet/test/postgres-cluster.ts).
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { freePort, runBuiltMain, tempDir, waitFor } from '../../device/test/index.js';
import { MIGRATIONS } from './store/migrations.js';
import { startPostgresCluster } from '../test/postgres-cluster.js';

/** A password of the test's own: only its redaction is under test. */
const PW = `pw-${randomBytes(6).toString('hex')}`;

const runMain = (env: Record<string, string>) => runBuiltMain('fleet', env);

describe('fleet monitor process', () => {
  it.each([
    ['a bad variable', { OUTPOST_FLEET_PORT: 'http' }, /configuration error: OUTPOST_FLEET_PORT: expected an integer/],
    ['an alert channel missing a setting', { OUTPOST_ALERT_TELEGRAM_BOT_TOKEN: '123:abc' }, /configuration error: OUTPOST_ALERT_TELEGRAM_CHAT_ID must be set/],
    ['an inventory that is not there', { OUTPOST_FLEET_INVENTORY: '/nonexistent/outpost/fleet.yaml' }, /configuration error: OUTPOST_FLEET_INVENTORY: .*\/nonexistent\/outpost\/fleet\.yaml/],
    // Before, such a value was a relative path, and a directory named "mysql:" appeared.
    ['a store URL of a kind it does not support', { OUTPOST_FLEET_DB: 'mysql://outpost:pw-1@db/fleet' }, /configuration error: OUTPOST_FLEET_DB: expected a file path or a postgres:\/\/ \(postgresql:\/\/\) URL \(mysql: is not supported\), got "mysql:\/\/outpost:\*\*\*@db\/fleet"/],
  ])('exits with status 1 on %s, naming the variable, without a stack', async (_what, env, message) => {
    const dir = tempDir();
    try {
      const run = runMain({ OUTPOST_FLEET_DB: join(dir.path, 'fleet.sqlite'), ...env });
      expect(await run.exited).toBe(1);
      expect(run.output()).toMatch(message);
      expect(run.output()).not.toMatch(/\n\s+at /);
      expect(run.output()).not.toContain('pw-1');
    } finally {
      dir.remove();
    }
  });

  it('exits with status 1, naming OUTPOST_FLEET_DB without its password, on a PostgreSQL store it cannot reach', async () => {
    // Nothing listens on a port just found free: the connection is refused at once.
    const port = await freePort();
    const dir = tempDir();
    try {
      const run = runMain({ OUTPOST_FLEET_DB: `postgres://outpost:${PW}@127.0.0.1:${port}/fleet`, OUTPOST_FLEET_DATA_DIR: dir.path, OUTPOST_FLEET_PORT: String(await freePort()) });
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`outpost-fleet: configuration error: OUTPOST_FLEET_DB: cannot open the store at postgres://outpost:***@127.0.0.1:${port}/fleet: `);
      expect(run.output()).not.toContain(PW);
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

  it('runs on a PostgreSQL store: migrates it, keeps history in it across a restart, and logs it without the password', async () => {
    const cluster = await startPostgresCluster();
    const dir = tempDir();
    try {
      // The throwaway cluster trusts loopback: the password is there to be kept out of the output.
      const url = (await cluster.createDatabase()).replace('postgres@', 'postgres:pw-3@');
      // Without an inventory the monitor watches the local device (id: the hostname); nothing listens there.
      const local = `127.0.0.1:${await freePort()}`;
      const history = `/api/devices/${encodeURIComponent(hostname())}/history`;
      const start = async () => {
        const port = await freePort();
        const run = runMain({ OUTPOST_FLEET_PORT: String(port), OUTPOST_FLEET_DB: url, OUTPOST_FLEET_DATA_DIR: dir.path, OUTPOST_FLEET_LOCAL_DEVICE: local, OUTPOST_LOG_LEVEL: 'info' });
        const snapshots = async () => {
          const res = await fetch(`http://127.0.0.1:${port}${history}`).catch(() => null);
          return res?.ok ? ((await res.json()) as { snapshots: Array<{ ts: string }> }).snapshots : null;
        };
        return { run, snapshots };
      };
      const first = await start();
      // The first poll fails: a status change, so a snapshot, written with the cycle's batch.
      const written = await waitFor(
        async () => {
          const snapshots = await first.snapshots();
          return snapshots?.length ? snapshots : null;
        },
        { timeoutMs: 20_000, what: 'the first snapshot' },
      );
      first.run.child.kill('SIGTERM');
      expect(await first.run.exited).toBe(0);
      expect(first.run.output()).toContain(`"db":"${url.replace('pw-3', '***')}"`);
      expect(first.run.output()).toContain('store migrated from schema version 0');

      const second = await start();
      const after = await waitFor(() => second.snapshots(), { timeoutMs: 20_000, what: 'the monitor to answer again' });
      expect(after.map((x) => x.ts)).toContain(written[0]!.ts);
      second.run.child.kill('SIGTERM');
      expect(await second.run.exited).toBe(0);
      expect(second.run.output()).not.toContain('store migrated');
      expect(first.run.output() + second.run.output()).not.toContain('pw-3');
    } finally {
      dir.remove();
      await cluster.stop();
    }
  });
});
