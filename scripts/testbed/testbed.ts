// Test helpers around scripts/testbed/testbed.sh and scripts/build-release.sh: a testbed of systemd
// devices per test file (own name, network and ports, so files can run side by side) and signed
// releases built once from the tree.
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { rootDir } from '../../device/src/shared/index.js';

const run = promisify(execFile);

export interface TestbedDevice {
  index: number;
  name: string;
  host: string;
  ip: string;
  sshPort: number;
  httpPort: number;
}

export interface Testbed {
  name: string;
  devices: TestbedDevice[];
  gateway: string;
  network: string;
  inventory: string;
  sshKey: string;
  exec(d: TestbedDevice, script: string, opts?: { timeoutMs?: number; env?: Record<string, string> }): Promise<{ code: number; stdout: string; stderr: string }>;
  copyIn(d: TestbedDevice, src: string, dest: string): Promise<void>;
  down(): Promise<void>;
}

export async function startTestbed(opts: { name: string; count: number; net: number; sshBase: number; httpBase: number }): Promise<Testbed> {
  const env = {
    ...process.env,
    OUTPOST_TESTBED: opts.name,
    OUTPOST_TESTBED_NET: String(opts.net),
    OUTPOST_TESTBED_SSH_BASE: String(opts.sshBase),
    OUTPOST_TESTBED_HTTP_BASE: String(opts.httpBase),
  };
  const script = join(rootDir, 'scripts/testbed/testbed.sh');
  const { stdout } = await run(script, ['up', String(opts.count)], { env, maxBuffer: 16 << 20 });
  const inventory = stdout.trim().split('\n').pop()!;
  const sshKey = execFileSync(script, ['ssh-key'], { env }).toString().trim();
  const devices = Array.from({ length: opts.count }, (_, k) => {
    const i = k + 1;
    return { index: i, name: `${opts.name}-${i}`, host: `tb${i}`, ip: `10.${opts.net}.0.${10 + i}`, sshPort: opts.sshBase + i, httpPort: opts.httpBase + i };
  });
  return {
    name: opts.name,
    devices,
    gateway: `10.${opts.net}.0.1`,
    network: `${opts.name}-net`,
    inventory,
    sshKey,
    async exec(d, cmd, o = {}) {
      const envArgs = Object.entries(o.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
      try {
        const r = await run('docker', ['exec', ...envArgs, d.name, 'bash', '-c', cmd], { timeout: o.timeoutMs ?? 180_000, maxBuffer: 16 << 20 });
        return { code: 0, stdout: r.stdout, stderr: r.stderr };
      } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
      }
    },
    async copyIn(d, src, dest) {
      await run('docker', ['cp', src, `${d.name}:${dest}`]);
    },
    async down() {
      await run(script, ['down'], { env });
    },
  };
}

export interface TestReleases {
  dir: string;
  keysDir: string;
  pubkey: string;
  /** Path of the tarball of `version` (its .sha256 and .sha256.sig beside it). */
  tarball(version: string): string;
}

/** One test release: `broken` exits at start; `brokenBrowser` starts and answers /api/health, but its browser cannot start. */
export interface TestReleaseSpec {
  version: string;
  broken?: boolean;
  brokenBrowser?: boolean;
}

/**
 * Signed releases for update tests, from one staged tree: each version is the same build with its
 * VERSION changed; `broken` ones exit at start (their health check can never pass); `brokenBrowser`
 * ones run, but point the appliance at a "browser" that exits at once (only the readiness check
 * can tell). `root`: stage another checkout instead of this one (bench:update's baseline), signed
 * with the keys in `keysDir`.
 */
export function buildTestReleases(dir: string, specs: TestReleaseSpec[], opts: { root?: string; keysDir?: string } = {}): TestReleases {
  const keysDir = opts.keysDir ?? join(dir, 'keys');
  const root = opts.root ?? rootDir;
  const env = { ...process.env, OUTPOST_KEYS_DIR: keysDir, OUTPOST_RELEASE_GZIP_LEVEL: '1' };
  const staged = join(dir, 'staged');
  if (!existsSync(join(staged, 'VERSION'))) execFileSync(join(root, 'scripts/build-release.sh'), ['stage', staged], { env, stdio: 'inherit' });
  for (const spec of specs) {
    const tree = join(dir, `tree-${spec.version}`);
    const out = join(dir, 'out');
    if (existsSync(join(out, `outpost-${spec.version}-linux-x64.tar.gz.sha256.sig`))) continue;
    cpSync(staged, tree, { recursive: true, verbatimSymlinks: true });
    writeFileSync(join(tree, 'VERSION'), `${spec.version}\n`);
    const main = join(tree, 'dist/device/src/main.js');
    if (spec.broken) writeFileSync(main, "console.error('this release is broken on purpose (update tests)');\nprocess.exit(3);\n");
    // Set before the module body reads the configuration (imports only load modules).
    if (spec.brokenBrowser) writeFileSync(main, `process.env.OUTPOST_CHROMIUM_PATH = '/bin/false'; // broken on purpose (update tests)\n${readFileSync(main, 'utf8')}`);
    mkdirSync(out, { recursive: true });
    execFileSync(join(root, 'scripts/build-release.sh'), ['pack', tree, '--out', out], { env, stdio: 'inherit' });
    execFileSync('rm', ['-rf', tree]);
  }
  return {
    dir: join(dir, 'out'),
    keysDir,
    pubkey: join(keysDir, 'release-signing.pub'),
    tarball: (v) => join(dir, 'out', `outpost-${v}-linux-x64.tar.gz`),
  };
}

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}
