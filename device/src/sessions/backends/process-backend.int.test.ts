// Least privilege of the process backend (issue 10): a session's X display takes only clients with
// its cookie, and chromium keeps its sandbox whenever the appliance is not root. The deployed case
// (systemd unit, outpost user, another local user trying the display) is in
// ansible/tests/deploy.int.test.ts.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, tempDir } from '../../../test/helpers.js';
import { rootDir } from '../../shared/paths.js';
import { ownerKey } from './owned-processes.js';
import { createProcessBackend } from './process-backend.js';
import type { LaunchedBrowser, SessionBackend } from './session-backend.js';
import { xauthorityRecord } from './x-authority.js';

/** An X client (x11-utils) against `:display`, with only the environment given: no ~/.Xauthority. */
function xclient(cmd: 'xdpyinfo' | 'xwininfo', display: number, env: Record<string, string> = {}) {
  const args = cmd === 'xwininfo' ? ['-root', '-tree', '-display', `:${display}`] : ['-display', `:${display}`];
  const r = spawnSync(cmd, args, { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent', ...env }, encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The first bytes a VNC server sends: its protocol version. */
function rfbGreeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port });
    sock.once('data', (d) => {
      sock.destroy();
      resolve(d.toString('latin1'));
    });
    sock.once('error', reject);
  });
}

describe("a VNC session's X display", () => {
  const dir = tempDir('outpost-xauth-');
  let backend: SessionBackend;
  let session: LaunchedBrowser;
  let display: number;
  const authFile = () => join(dir.path, 'sessions', 'xauth-test', 'Xauthority');

  beforeAll(async () => {
    backend = createProcessBackend({ chromiumPath: CHROMIUM, dataDir: dir.path, ownerKey: ownerKey(dir.path), displayBase: 300, log: pino({ level: 'silent' }) });
    session = await backend.launch({ id: 'xauth-test', headless: false, vnc: true, width: 800, height: 600, clientId: null, pool: false });
    display = session.record.display as number;
  });
  afterAll(async () => {
    await backend?.close();
    dir.remove();
  });

  it("takes X clients only with the session's cookie", () => {
    expect(statSync(authFile()).mode & 0o777).toBe(0o600);
    const bare = xclient('xdpyinfo', display);
    expect(bare.code, bare.out).not.toBe(0);
    expect(bare.out).toMatch(/Authorization required|unable to open display/);
    // A cookie, but not this display's: refused as well.
    const wrong = join(dir.path, 'wrong-cookie');
    writeFileSync(wrong, xauthorityRecord(display, Buffer.alloc(16, 7)), { mode: 0o600 });
    expect(xclient('xdpyinfo', display, { XAUTHORITY: wrong }).code).not.toBe(0);
    // With the session's cookie the display answers, and lists chromium's window: the browser,
    // which has only XAUTHORITY to go by, got in too.
    const tree = xclient('xwininfo', display, { XAUTHORITY: authFile() });
    expect(tree.code, tree.out).toBe(0);
    expect(tree.out).toMatch(/chromium/i);
  });

  it('has no abstract socket, which no PrivateTmp could hide from other users', () => {
    const sockets = readFileSync('/proc/net/unix', 'utf8');
    expect(sockets).toContain(` /tmp/.X11-unix/X${display}\n`);
    expect(sockets).not.toContain(`@/tmp/.X11-unix/X${display}`);
  });

  it('still serves VNC: x11vnc reads the display with the same cookie', async () => {
    expect(session.vnc).not.toBeNull();
    expect(await rfbGreeting(session.vnc!.port)).toMatch(/^RFB 003\.00\d\n/);
  });

  it('removes the cookie with the session', async () => {
    await session.close();
    expect(existsSync(authFile())).toBe(false);
  });
});

describe('chromium sandbox', () => {
  // The tests run as root, where chromium refuses its sandbox; the probe runs the same backend as
  // `nobody` (setpriv), as the appliance runs as `outpost` under systemd.
  const dir = tempDir('outpost-sandbox-');
  afterAll(() => dir.remove());

  it("keeps chromium's sandbox when not root", { timeout: 120_000 }, async () => {
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      chownSync(dir.path, 65534, 65534);
      chmodSync(dir.path, 0o700);
    }
    const probe = [process.execPath, '--import', 'tsx', join(rootDir, 'device/test/sandbox-probe.ts'), dir.path];
    const [cmd, ...args] = asRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...probe] : probe;
    const child = spawn(cmd!, args, { cwd: rootDir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir.path, LANG: 'C.UTF-8' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    expect(code, err.slice(-2000)).toBe(0);
    const report = JSON.parse(out.trim().split('\n').pop()!) as {
      uid: number;
      title: string;
      browser?: { args: string[] };
      procs: Array<{ args: string[]; nspid: number[] }>;
    };
    expect(report.uid).not.toBe(0);
    expect(report.title).toBe('sandboxed');
    expect(report.browser?.args[0]).toBe(CHROMIUM);
    // Chromium's children rewrite their command line into one string: look at words.
    const words = (p: { args: string[] }) => p.args.join(' ').split(' ');
    for (const p of report.procs) expect(words(p), p.args.join(' ')).not.toContain('--no-sandbox');
    // The sandbox really holds: every renderer runs in a pid namespace of its own (NSpid has an
    // entry per namespace), which chromium only sets up for sandboxed children.
    const renderers = report.procs.filter((p) => words(p).includes('--type=renderer'));
    expect(renderers.length).toBeGreaterThan(0);
    for (const r of renderers) expect(r.nspid.length, JSON.stringify(r)).toBeGreaterThan(1);
  });
});
