// A throwaway PostgreSQL cluster for tests, from Debian's `postgresql` package (bootstrap installs it
// for the tests): initdb in a temp dir, the server on a free loopback port with its unix socket in
// that dir, trust authentication (loopback only, no password anywhere), fsync off. Tests run as root
// and PostgreSQL refuses root, so the server runs as the `postgres` user, which owns the dir.
// Stopped, and the dir removed, by stop(); and whatever ends the test process (a crash, a kill, a
// timeout), by a small shell that holds the server: it waits for its stdin, a pipe from the test
// process, to close, which happens when that process ends however it ends (WATCHDOG).
// One cluster per test file; each test takes a fresh database of its own (createDatabase).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, waitFor } from '../../device/test/index.js';

export interface PostgresCluster {
  readonly port: number;
  /** postgres://postgres@127.0.0.1:<port>/<database> (trust: no password). */
  url(database: string): string;
  /** A new, empty database, owned by the cluster's superuser: its URL. */
  createDatabase(): Promise<string>;
  /** Fast shutdown, then the dir is removed. Idempotent. */
  stop(): Promise<void>;
}

/** The newest installed server's binaries (OUTPOST_TEST_PG_BIN overrides). */
export function postgresBinDir(): string {
  const override = process.env.OUTPOST_TEST_PG_BIN;
  if (override) return override;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => /^\d+$/.test(v) && existsSync(join(root, v, 'bin', 'postgres'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`no PostgreSQL server under ${root}: install Debian's postgresql (node scripts/bootstrap.mjs test does, as root)`);
  return join(root, newest, 'bin');
}

/** Root runs the server as `postgres`; anyone else as themselves. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

// $1: the dir to remove once the server has stopped; then the server's command line. The server
// runs in the background; beside it, `cat` reads the shell's stdin (fd 3: an asynchronous list's
// own stdin would be /dev/null) until EOF, then stops the server. The shell ends with the server,
// whether it was stopped or failed on its own.
const WATCHDOG = `dir="$1"; shift
exec 3<&0
"$@" </dev/null &
pid=$!
{ cat <&3 >/dev/null; kill -INT "$pid" 2>/dev/null; } &
exec 3<&-
wait "$pid"
status=$?
rm -rf "$dir"
exit $status`;

function run(cmd: string, args: string[], opts: { cwd: string; user: { uid: number; gid: number } | undefined }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], ...opts.user, env: { PATH: process.env.PATH ?? '', LANG: 'C' } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code ?? signal}:\n${out}`))));
  });
}

export interface PostgresClusterOptions {
  /**
   * Server settings passed as `-c name=value` after the tests' own (the last one wins): bench:fleet
   * turns fsync and synchronous commits back on to measure the server as it runs in production.
   */
  settings?: Record<string, string>;
}

export async function startPostgresCluster(opts: PostgresClusterOptions = {}): Promise<PostgresCluster> {
  const bin = postgresBinDir();
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'outpost-pg-'));
  const data = join(dir, 'data');
  const socketDir = join(dir, 'socket');
  mkdirSync(socketDir);
  if (user) {
    chownSync(dir, user.uid, user.gid);
    chownSync(socketDir, user.uid, user.gid);
  }
  let server: ChildProcess | undefined;
  let log = '';
  const cleanUp = async () => {
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      // The watchdog's stdin closes: it stops the server (fast shutdown: connections are ended).
      server.stdin!.end();
      const killer = setTimeout(() => server?.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  let admin: pg.Client | undefined;
  let port: number;
  try {
    await run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '--no-locale', '--encoding=UTF8'], { cwd: dir, user });
    port = await freePort();
    const postgres = [join(bin, 'postgres'), '-D', data, '-k', socketDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'];
    for (const [name, value] of Object.entries(opts.settings ?? {})) postgres.push('-c', `${name}=${value}`);
    server = spawn('/bin/sh', ['-c', WATCHDOG, 'outpost-pg-watchdog', dir, ...postgres], {
      cwd: dir,
      stdio: ['pipe', 'ignore', 'pipe'],
      ...user,
      env: { PATH: process.env.PATH ?? '', LANG: 'C' },
    });
    server.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-8000)));
    const exited = new Promise<never>((_, reject) => server!.once('exit', (code, signal) => reject(new Error(`postgres exited with ${code ?? signal} at start:\n${log}`))));
    exited.catch(() => undefined);
    admin = await Promise.race([
      waitFor(
        async () => {
          const c = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
          try {
            await c.connect();
            return c;
          } catch (err) {
            await c.end().catch(() => undefined);
            throw err;
          }
        },
        { timeoutMs: 30_000, what: `PostgreSQL on 127.0.0.1:${port}` },
      ),
      exited,
    ]);
  } catch (err) {
    await cleanUp();
    throw err;
  }

  const url = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  let databases = 0;
  let stopping: Promise<void> | undefined;
  return {
    port,
    url,
    async createDatabase() {
      const name = `test_${++databases}`;
      await admin.query(`CREATE DATABASE ${name}`);
      return url(name);
    },
    stop: () =>
      (stopping ??= (async () => {
        await admin.end().catch(() => undefined);
        await cleanUp();
      })()),
  };
}
