// The embedded backend (DESIGN.md, "Sessions"): each session is a playwright-core browser server
// (chromium.launchServer with the system chromium). A VNC session also gets its own `Xvfb :N` and
// an `x11vnc` on a loopback port with a random password, and its browser runs headful on that
// display. The display takes only clients with the session's X authority cookie (x-authority.ts).
// Every process carries the owner marker (owned-processes.ts) so a later start can find it even
// after `kill -9`.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { BrowserServer } from 'playwright-core';
import type { Log } from '../../shared/log.js';
import { exitOf, killGroup, pssOf, stopChild, trackGroup, waitReady } from './child-processes.js';
import {
  OWNER_ENV,
  SESSION_ENV,
  clearStaleDisplay,
  displayInUse,
  displayLockPid,
  findOwnedProcesses,
  isAlive,
  killOwnedProcesses,
  removeOrphanProfiles,
} from './owned-processes.js';
import { chromiumType } from '../playwright.js';
import type { LaunchSpec, LaunchedBrowser, PersistedSession, RecoveredSession, SessionBackend } from './session-backend.js';
import { startRecording, type Recording } from './screen-recorder.js';
import { writeXAuthority } from './x-authority.js';
import { DEVTOOLS_ARGS, devToolsPort } from './devtools-port.js';
import { identityLaunch } from './identity-launch.js';
import { startPagePolicies, type PagePolicies } from '../page-policies.js';

export interface ProcessBackendOptions {
  chromiumPath: string;
  dataDir: string;
  ownerKey: string;
  displayBase: number;
  log: Log;
  launchTimeoutMs?: number;
}

const DISPLAY_SPAN = 1000;
const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** VNC authentication only uses the first 8 characters of a password, so it gets exactly 8. */
export function vncPassword(): string {
  let out = '';
  for (let i = 0; i < 8; i += 1) out += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return out;
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
  });
}

export function createProcessBackend(opts: ProcessBackendOptions): SessionBackend {
  const { log } = opts;
  const launchTimeoutMs = opts.launchTimeoutMs ?? 30_000;
  const displays = new Set<number>();
  const sessionsDir = join(opts.dataDir, 'sessions');
  const live = new Set<LaunchedBrowser>();

  function baseEnv(sessionId: string): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      LANG: process.env.LANG ?? 'C.UTF-8',
      TZ: process.env.TZ,
      [OWNER_ENV]: opts.ownerKey,
      [SESSION_ENV]: sessionId,
    };
  }

  function allocateDisplay(): number {
    for (let i = 0; i < DISPLAY_SPAN; i += 1) {
      const n = opts.displayBase + i;
      if (displays.has(n) || displayInUse(n) || existsSync(`/tmp/.X11-unix/X${n}`)) continue;
      displays.add(n);
      return n;
    }
    throw new Error(`no free X display in :${opts.displayBase}..:${opts.displayBase + DISPLAY_SPAN - 1}`);
  }

  async function startXvfb(spec: LaunchSpec, authFile: string): Promise<{ display: number; xvfb: ChildProcess }> {
    // Two appliances (or a stale lock) may race for a display: take the next one and retry.
    let lastError: unknown;
    for (let attempt = 0; attempt < 8; attempt += 1) {
      const display = allocateDisplay();
      await writeXAuthority(authFile, display);
      let out = '';
      // -auth: only clients with the session's cookie get in. -nolisten local: no abstract socket
      // (@/tmp/.X11-unix/X<n> is shared by every user of the network namespace, PrivateTmp or
      // not); the socket file in /tmp/.X11-unix stays, and it asks for the cookie too.
      const args = [`:${display}`, '-screen', '0', `${spec.width}x${spec.height}x24`, '-auth', authFile, '-nolisten', 'tcp', '-nolisten', 'local', '-noreset'];
      const xvfb = trackGroup(
        spawn('Xvfb', args, {
          env: baseEnv(spec.id),
          detached: true,
          stdio: ['ignore', 'ignore', 'pipe'],
        }),
      );
      xvfb.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-2000)));
      xvfb.once('error', (err) => (out += String(err)));
      try {
        // Ready means this Xvfb holds the display: its pid is in the lock. Another appliance's Xvfb
        // may have won the same display a moment earlier; ours then exits, and we try the next.
        await waitReady(xvfb, `Xvfb :${display}`, () => existsSync(`/tmp/.X11-unix/X${display}`) && displayLockPid(display) === xvfb.pid, 10_000, () => out);
        return { display, xvfb };
      } catch (err) {
        lastError = err;
        killGroup(xvfb);
        displays.delete(display);
        if (!/already active|Cannot establish any listening sockets|exited/.test(String(err))) break;
      }
    }
    throw lastError;
  }

  async function startX11vnc(spec: LaunchSpec, display: number, dir: string, authFile: string, password: string): Promise<{ port: number; x11vnc: ChildProcess }> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const port = await freeLoopbackPort();
      const pwFile = join(dir, 'vncpasswd');
      await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
      let out = '';
      // rm: makes x11vnc delete the password file once read; -localhost keeps it off the network.
      const x11vnc = trackGroup(
        spawn(
          'x11vnc',
          ['-display', `:${display}`, '-auth', authFile, '-rfbport', String(port), '-localhost', '-forever', '-shared', '-passwdfile', `rm:${pwFile}`, '-quiet', '-noxdamage', '-nowf', '-noipv6'],
          { env: baseEnv(spec.id), detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
        ),
      );
      let listening = false;
      x11vnc.stdout?.on('data', (d: Buffer) => {
        out = (out + d.toString()).slice(-2000);
        listening ||= out.includes(`PORT=${port}`);
      });
      x11vnc.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-2000)));
      x11vnc.once('error', (err) => (out += String(err)));
      try {
        // x11vnc prints PORT=<n> once it listens: the port answering is then ours, not another
        // process's that took the same free port.
        await waitReady(x11vnc, 'x11vnc', async () => listening && (await canConnect(port)), 10_000, () => out);
        return { port, x11vnc };
      } catch (err) {
        lastError = err;
        killGroup(x11vnc);
        await rm(pwFile, { force: true });
      }
    }
    throw lastError;
  }

  async function launch(spec: LaunchSpec): Promise<LaunchedBrowser> {
    const dir = join(sessionsDir, spec.id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const authFile = join(dir, 'Xauthority');
    let xvfb: ChildProcess | undefined;
    let x11vnc: ChildProcess | undefined;
    let display: number | null = null;
    let server: BrowserServer | undefined;
    let vnc: LaunchedBrowser['vnc'] = null;
    let cdpPort = 0;
    const recordings: Recording[] = [];
    let policies: PagePolicies | null = null;
    const cleanup = async () => {
      // The recording first, while its display still runs: ffmpeg writes its last fragment.
      await Promise.all(recordings.map((r) => r.stop()));
      policies?.close();
      if (server) await server.close().catch(() => server?.kill().catch(() => undefined));
      await stopChild(x11vnc);
      await stopChild(xvfb);
      if (display !== null) {
        clearStaleDisplay(display);
        displays.delete(display);
      }
      // The session's X cookie and VNC password file go with its directory.
      await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    };
    try {
      const env = baseEnv(spec.id);
      if (!spec.headless || spec.vnc) {
        const x = await startXvfb(spec, authFile);
        xvfb = x.xvfb;
        display = x.display;
        env.DISPLAY = `:${display}`;
        env.XAUTHORITY = authFile;
      }
      if (spec.vnc && display !== null) {
        const password = vncPassword();
        const v = await startX11vnc(spec, display, dir, authFile, password);
        x11vnc = v.x11vnc;
        vnc = { host: '127.0.0.1', port: v.port, password };
      }
      const chromium = await chromiumType();
      // A persistent profile: Playwright's launchServer takes it through two options it keeps
      // internal (`_userDataDir`, and `_sharedBrowser` so that clients see the profile's context as
      // browser.contexts()[0]); a --user-data-dir argument it refuses. Held by profiles.int.test.ts.
      const persistent = spec.profileDir ? ({ _userDataDir: spec.profileDir, _sharedBrowser: true } as object) : {};
      const identity = await identityLaunch(spec.identity ?? null, env, join(opts.dataDir, 'extensions'));
      server = await chromium.launchServer({
        ...persistent,
        ...identity.options,
        executablePath: opts.chromiumPath,
        headless: spec.headless,
        host: '127.0.0.1',
        port: 0,
        env,
        // Downloads land in the session's directory (named by download id); session-downloads.ts
        // keeps each under its own name with the session's artifacts.
        downloadsPath: join(dir, 'downloads'),
        timeout: launchTimeoutMs,
        // Chromium's own sandbox (user, pid and net namespaces plus seccomp for every renderer)
        // whenever it can have one: as root chromium refuses to start with it, so only root gets
        // --no-sandbox. Under systemd the appliance is the outpost user, and the unit allows the
        // namespaces the sandbox needs (systemd/outpost-device.service, RestrictNamespaces=).
        // (held by process-backend.int.test.ts 'keeps chromium's sandbox when not root')
        chromiumSandbox: process.getuid?.() !== 0,
        // Our own shutdown ends sessions; Playwright's handlers would exit the process under us.
        handleSIGINT: false,
        handleSIGTERM: false,
        handleSIGHUP: false,
        args: [
          `--window-size=${spec.width},${spec.height}`,
          '--window-position=0,0',
          '--disable-quic',
          '--disable-sync',
          '--no-default-browser-check',
          ...DEVTOOLS_ARGS,
          ...identity.args,
          ...(spec.headless ? [] : ['--start-maximized', '--disable-infobars', '--test-type']),
        ],
      });
      cdpPort = await devToolsPort(server.process().pid!, launchTimeoutMs, spec.signal);
      // Geolocation, blocked URLs and extensions, in place before the session is handed out.
      policies = await startPagePolicies({ devtools: { host: '127.0.0.1', port: cdpPort }, identity: spec.identity ?? null, extensionDirs: identity.extensionDirs, log, timeoutMs: launchTimeoutMs, signal: spec.signal });
    } catch (err) {
      await cleanup();
      throw err;
    }
    // Playwright starts chromium as the leader of its own process group, like Xvfb and x11vnc.
    const browserProcess = trackGroup(server.process());
    const exits = [exitOf(browserProcess).then((r) => `browser ${r}`)];
    if (xvfb) exits.push(exitOf(xvfb).then((r) => `Xvfb ${r}`));
    if (x11vnc) exits.push(exitOf(x11vnc).then((r) => `x11vnc ${r}`));
    let closing: Promise<void> | null = null;
    const launched: LaunchedBrowser = {
      wsEndpoint: server.wsEndpoint(),
      vnc,
      cdp: { host: '127.0.0.1', port: cdpPort },
      downloadsDir: join(dir, 'downloads'),
      record: {
        browser_pid: browserProcess.pid ?? null,
        xvfb_pid: xvfb?.pid ?? null,
        x11vnc_pid: x11vnc?.pid ?? null,
        display,
        vnc_port: vnc?.port ?? null,
        cdp_port: cdpPort,
      },
      exited: Promise.race(exits),
      ...(display === null
        ? {}
        : {
            async recordScreen(o) {
              const recording = await startRecording({ ...o, display: display!, xauthority: authFile, width: spec.width, height: spec.height, env: baseEnv(spec.id) });
              recordings.push(recording);
              return recording;
            },
          }),
      close() {
        closing ??= cleanup().finally(() => live.delete(launched));
        return closing;
      },
      async memoryBytes() {
        const procs = findOwnedProcesses(opts.ownerKey).filter((p) => p.session === spec.id);
        const sizes = await Promise.all(procs.map((p) => pssOf(p.pid)));
        return sizes.reduce((a, b) => a + b, 0);
      },
    };
    live.add(launched);
    return launched;
  }

  return {
    name: 'process',
    profiles: true,
    sessionSettings: true,
    screenRecording: true,
    launch,
    async recover(records: PersistedSession[]): Promise<RecoveredSession[]> {
      // Browser servers lived inside the previous appliance process: nothing can be adopted.
      const killed = await killOwnedProcesses(opts.ownerKey);
      for (const r of records) {
        const d = r.record.display;
        if (typeof d === 'number') clearStaleDisplay(d);
        for (const key of ['browser_pid', 'xvfb_pid', 'x11vnc_pid'] as const) {
          const pid = r.record[key];
          if (typeof pid === 'number' && isAlive(pid)) log.warn({ pid, session: r.id }, 'recorded process still alive without the owner marker; leaving it');
        }
      }
      await rm(sessionsDir, { recursive: true, force: true }).catch(() => undefined);
      const profiles = await removeOrphanProfiles();
      if (killed > 0 || records.length > 0 || profiles > 0) {
        log.info({ killed, records: records.length, profiles }, 'ended what the previous run left behind');
      }
      return [];
    },
    async close() {
      await Promise.all([...live].map((l) => l.close()));
    },
  };
}
