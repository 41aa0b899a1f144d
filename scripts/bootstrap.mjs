#!/usr/bin/env node
// Makes a fresh clone runnable: checks Node, installs missing Debian packages (when root; otherwise
// prints the exact apt-get command), installs npm packages, and builds when sources changed.
// Used by `npm start`, `npm test`, `npm run device|fleet`. Plain Node, no dependencies: it runs
// before node_modules exists.
//
// usage: node scripts/bootstrap.mjs <start|device|fleet|test|build>
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const profile = process.argv[2] ?? 'start';

// What each command needs from Debian. The appliance runs without Docker (payload and the docker
// backend then report docker_unavailable), so only the tests insist on it.
const RUNTIME = ['chromium', 'chromium-driver', 'xvfb', 'x11vnc', 'ffmpeg', 'fonts-dejavu-core', 'ca-certificates', 'procps'];
const TEST = [
  ...RUNTIME,
  'docker.io',
  'busybox-static',
  'debootstrap',
  'ansible',
  'ansible-lint',
  'yamllint',
  'shellcheck',
  'wireguard-tools',
  'wireguard-go',
  'prometheus',
  'openssl',
  'curl',
  'iproute2',
  'psmisc',
  'systemd',
  'xz-utils',
  // xdpyinfo, xwininfo: the tests try a session's X display with and without its cookie.
  'x11-utils',
  // The admission test loads the host with it (sessions/pressure.int.test.ts).
  'stress-ng',
  // The store's tests run it against a throwaway PostgreSQL cluster too (fleet/test/postgres-cluster.ts).
  'postgresql',
];
const PACKAGES = { start: RUNTIME, device: RUNTIME, fleet: ['ca-certificates'], test: TEST, build: [] };

function log(msg) {
  process.stderr.write(`[bootstrap] ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.status !== 0) {
    log(`${cmd} ${args.join(' ')} failed with ${r.status ?? r.signal}`);
    process.exit(r.status || 1);
  }
}

function checkNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major < 20 || (major === 20 && minor < 19)) {
    log(`Node ${process.versions.node} is too old: Outpost needs Node 20.19 or newer.`);
    process.exit(1);
  }
}

function missingPackages(wanted) {
  const missing = [];
  for (const pkg of wanted) {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Status}', pkg], { encoding: 'utf8' });
    if (r.status !== 0 || !r.stdout.includes('install ok installed')) missing.push(pkg);
  }
  return missing;
}

function ensurePackages() {
  const wanted = PACKAGES[profile];
  if (!wanted) {
    log(`unknown profile ${profile}; use start, device, fleet, test or build`);
    process.exit(2);
  }
  if (wanted.length === 0 || !existsSync('/usr/bin/dpkg-query')) return;
  const missing = missingPackages(wanted);
  if (missing.length === 0) return;
  const cmd = `apt-get install -y ${missing.join(' ')}`;
  if (process.getuid?.() !== 0) {
    log(`missing Debian packages: ${missing.join(' ')}`);
    log(`install them with: sudo apt-get update && sudo ${cmd}`);
    if (profile === 'test') process.exit(1);
    return;
  }
  log(`installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  run('apt-get', ['update', '-qq'], { env });
  run('apt-get', ['install', '-y', '-qq', '-o', 'Dpkg::Use-Pty=0', ...missing], { env });
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

function ensureNodeModules() {
  const lock = join(root, 'package-lock.json');
  const installed = join(root, 'node_modules', '.package-lock.json');
  // npm rewrites package-lock.json whenever dependencies change; edits to scripts do not need a reinstall.
  if (existsSync(installed) && mtime(installed) >= mtime(lock)) return;
  log('installing npm packages');
  // puppeteer-core downloads nothing; the variable keeps it so should a dependency pull in puppeteer
  // (browsers cannot be downloaded here, and the tests use Debian's chromium).
  run('npm', existsSync(lock) ? ['ci', '--no-fund', '--no-audit'] : ['install', '--no-fund', '--no-audit'], {
    env: { ...process.env, PUPPETEER_SKIP_DOWNLOAD: '1' },
  });
}

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name === 'dist' || entry.name.startsWith('.')) continue;
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (/\.(ts|tsx|css|html|json)$/.test(entry.name)) newest = Math.max(newest, mtime(p));
  }
  return newest;
}

function ensureBuild() {
  const stamp = join(root, 'dist', '.build-stamp');
  const sources = Math.max(
    ...['device', 'fleet', 'web'].filter((d) => existsSync(join(root, d))).map((d) => newestSource(join(root, d))),
    mtime(join(root, 'package-lock.json')),
    mtime(join(root, 'tsconfig.json')),
    mtime(join(root, 'VERSION')),
  );
  if (mtime(stamp) >= sources) return;
  log('building');
  run('npm', ['run', '--silent', 'build']);
  mkdirSync(dirname(stamp), { recursive: true });
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
}

checkNode();
ensurePackages();
ensureNodeModules();
ensureBuild();
