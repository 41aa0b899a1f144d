// Entrypoint of the outpost-session image: one browser session per container.
//
// Conventions (any image that follows them can be configured as OUTPOST_DOCKER_IMAGE):
//   port 3000  Playwright browser server, websocket path /playwright
//   port 5900  VNC (RFB), only when VNC_PASSWORD is set
//   port 9223  the browser's DevTools protocol (CDP): a relay to chromium's own port, which listens
//              on the container's loopback only; with CDP_ALLOW_FROM set (the appliance gives the
//              network's gateway, where the published port's connections come from), it takes
//              connections from that address alone, not from other containers on the network
//   env        WIDTH, HEIGHT (screen), START_URL (optional first page), VNC_PASSWORD (enables VNC),
//              HEADLESS (true|false; default: false with VNC, true without), USER_DATA_DIR (a
//              persistent profile, mounted by the appliance: the browser's own context keeps its
//              cookies and storage there; unset, a throwaway profile)
//   user       any uid: the appliance runs a profile's container as the profile directory's owner
//   health     the Docker HEALTHCHECK (healthcheck.sh) turns healthy once the browser server (and VNC) accept
//              connections; the appliance hands out a container only when it is healthy.
import { spawn } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { accessSync, constants, existsSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const width = Number(process.env.WIDTH ?? 1280);
const height = Number(process.env.HEIGHT ?? 800);
const startUrl = process.env.START_URL || '';
const vncPassword = process.env.VNC_PASSWORD || '';
const headless = (process.env.HEADLESS ?? (vncPassword ? 'false' : 'true')) === 'true';
const display = ':99';
const DEVTOOLS_PORT = 9222;
const CDP_RELAY_PORT = 9223;
const cdpAllowFrom = process.env.CDP_ALLOW_FROM || '';
const userDataDir = process.env.USER_DATA_DIR || '';
const READY = '/tmp/outpost-ready';
const children = [];

function log(msg) {
  process.stdout.write(`[session] ${msg}\n`);
}

function start(cmd, args) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
  children.push(child);
  child.on('exit', (code, signal) => {
    log(`${cmd} exited (${signal ?? code}); ending the session`);
    shutdown(1);
  });
  return child;
}

async function until(check, what, ms = 15000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} not ready after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let server = null;
let stopping = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  // Also when nothing is left to keep node alive before the timer below: a failed start exits 1.
  process.exitCode = code;
  rmSync(READY, { force: true });
  await server?.close().catch(() => undefined);
  for (const c of children) c.kill('SIGTERM');
  setTimeout(() => process.exit(code), 300).unref();
}
process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));

try {
  rmSync(READY, { force: true });
  const env = { ...process.env };
  // A uid without a home in the image (HOME=/): chromium's caches go to a writable one.
  try {
    accessSync(env.HOME || '/', constants.W_OK);
  } catch {
    env.HOME = '/tmp/home';
    mkdirSync(env.HOME, { recursive: true, mode: 0o700 });
  }
  // Chromium's lock on the profile names the host and pid that held it: here that is always an
  // earlier container (another hostname), and chromium would refuse the profile as used "on another
  // computer". The appliance runs one session per profile, so any lock found is stale.
  if (userDataDir) {
    try {
      accessSync(userDataDir, constants.W_OK | constants.X_OK);
    } catch {
      throw new Error(`the profile ${userDataDir} is not writable by uid ${process.getuid()} (run the container as the directory's owner)`);
    }
    for (const f of ['SingletonLock', 'SingletonSocket', 'SingletonCookie']) rmSync(join(userDataDir, f), { force: true });
  }
  if (!headless || vncPassword) {
    start('Xvfb', [display, '-screen', '0', `${width}x${height}x24`, '-nolisten', 'tcp', '-noreset']);
    await until(() => existsSync('/tmp/.X11-unix/X99'), 'Xvfb');
    env.DISPLAY = display;
  }
  if (vncPassword) {
    writeFileSync('/tmp/vncpasswd', `${vncPassword}\n`, { mode: 0o600 });
    start('x11vnc', ['-display', display, '-rfbport', '5900', '-forever', '-shared', '-passwdfile', 'rm:/tmp/vncpasswd', '-quiet', '-noxdamage', '-nowf', '-noipv6']);
  }
  // A persistent profile: Playwright's launchServer takes it through two options it keeps internal
  // (`_userDataDir`, and `_sharedBrowser` so that clients see the profile's context as
  // browser.contexts()[0]), like the appliance's process backend.
  const persistent = userDataDir ? { _userDataDir: userDataDir, _sharedBrowser: true } : {};
  server = await chromium.launchServer({
    ...persistent,
    executablePath: process.env.CHROMIUM_PATH || '/usr/lib/chromium/chromium',
    headless,
    host: '0.0.0.0',
    port: 3000,
    wsPath: '/playwright',
    env,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    args: [
      `--window-size=${width},${height}`,
      '--window-position=0,0',
      '--disable-quic',
      '--disable-sync',
      `--remote-debugging-port=${DEVTOOLS_PORT}`,
      '--remote-debugging-address=127.0.0.1',
      ...(headless ? [] : ['--start-maximized', '--test-type']),
    ],
  });
  // The DevTools port to the outside, through the relay (chromium binds loopback only).
  const relay = createServer((client) => {
    const from = (client.remoteAddress ?? '').replace(/^::ffff:/, '');
    if (cdpAllowFrom && from !== cdpAllowFrom) return client.destroy();
    const upstream = createConnection({ host: '127.0.0.1', port: DEVTOOLS_PORT });
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  relay.listen(CDP_RELAY_PORT, '0.0.0.0');
  server.process().on('exit', () => {
    log('browser exited; ending the session');
    shutdown(1);
  });
  // A VNC session shows a window from the start; START_URL opens there.
  if (!headless || startUrl) {
    const own = await chromium.connect(`ws://127.0.0.1:3000/playwright`);
    // A profile's window is its own context's first page, where its logins are.
    const context = userDataDir ? own.contexts()[0] : await own.newContext({ viewport: headless ? { width, height } : null });
    const page = (userDataDir ? context.pages()[0] : undefined) ?? (await context.newPage());
    if (startUrl) await page.goto(startUrl).catch((err) => log(`start page failed: ${err.message}`));
  }
  writeFileSync(READY, `${Date.now()}\n`);
  log(`ready: ${width}x${height} ${headless ? 'headless' : 'headful'}${vncPassword ? ' with VNC' : ''}`);
} catch (err) {
  log(`failed to start: ${err.stack ?? err}`);
  await shutdown(1);
}
