// The fleet monitor as a process, started the way systemd starts it.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { rootDir } from '../../device/src/paths.js';
import { freePort, tempDir } from '../../device/test/helpers.js';
import { MIGRATIONS } from './store/migrations.js';

const MAIN = join(rootDir, 'dist', 'fleet', 'src', 'main.js');

function runMain(env: Record<string, string>) {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', OUTPOST_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, exited, output: () => output };
}

describe('fleet monitor process', () => {
  it('exits with status 1, naming OUTPOST_FLEET_DB, on a store a newer release has migrated', async () => {
    const dir = tempDir('outpost-fleet-main-');
    const file = join(dir.path, 'fleet.sqlite');
    const newer = MIGRATIONS.length + 1;
    const db = new Database(file);
    db.pragma(`user_version = ${newer}`);
    db.close();
    const run = runMain({ OUTPOST_FLEET_DB: file, OUTPOST_FLEET_PORT: String(await freePort()) });
    try {
      expect(await run.exited).toBe(1);
      expect(run.output()).toContain(`outpost-fleet: configuration error: OUTPOST_FLEET_DB: ${file} has schema version ${newer}`);
      const after = new Database(file, { readonly: true });
      expect(after.pragma('user_version', { simple: true })).toBe(newer);
      after.close();
    } finally {
      run.child.kill('SIGKILL');
      dir.remove();
    }
  });
});
