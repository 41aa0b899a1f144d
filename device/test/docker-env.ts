// Real Docker for tests: start dockerd when it is not running (no systemd here, so nothing else
// will) and build tiny local images, since no registry is reachable.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { tempDir, waitFor } from './helpers.js';

export const DOCKER_SOCKET = '/var/run/docker.sock';
export const BUSYBOX_IMAGE = 'outpost-test/busybox:1.0';
/** Every test container carries this label, so a leak check can find what a test left behind. */
export const TEST_LABEL = 'outpost.test';

export function dockerClient(): Docker {
  return new Docker({ socketPath: DOCKER_SOCKET });
}

async function pingable(docker: Docker): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

/** Returns the pid of a dockerd we started, or null when one was already running. */
export async function ensureDockerd(): Promise<number | null> {
  const docker = dockerClient();
  if (await pingable(docker)) return null;
  const bin = ['/usr/sbin/dockerd', '/usr/bin/dockerd'].find((p) => existsSync(p));
  if (!bin) throw new Error('dockerd is not installed (apt-get install docker.io); npm test installs it when run as root');
  if (process.getuid?.() !== 0) throw new Error('dockerd is not running and only root can start it');
  const logFd = openSync('/tmp/outpost-test-dockerd.log', 'a');
  const child = spawn(bin, [], { detached: true, stdio: ['ignore', logFd, logFd] });
  child.unref();
  await waitFor(() => pingable(docker), { timeoutMs: 60_000, intervalMs: 250, what: 'dockerd to answer (see /tmp/outpost-test-dockerd.log)' });
  return child.pid ?? null;
}

/** A busybox-static rootfs imported as an image: `sleep` forever, `sh` for commands. */
export async function ensureBusyboxImage(docker = dockerClient()): Promise<string> {
  const existing = await docker.listImages({ filters: { reference: [BUSYBOX_IMAGE] } });
  if (existing.length > 0) return BUSYBOX_IMAGE;
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (!busybox) throw new Error('busybox-static is not installed (apt-get install busybox-static)');
  const dir = tempDir('outpost-busybox-');
  try {
    const rootfs = join(dir.path, 'rootfs');
    mkdirSync(join(rootfs, 'bin'), { recursive: true });
    mkdirSync(join(rootfs, 'tmp'), { recursive: true });
    writeFileSync(join(rootfs, 'bin', 'busybox'), spawnSync('cat', [busybox], { maxBuffer: 64 << 20 }).stdout, { mode: 0o755 });
    for (const applet of ['sh', 'sleep', 'echo', 'cat', 'ls', 'date', 'true', 'false', 'seq']) {
      symlinkSync('busybox', join(rootfs, 'bin', applet));
    }
    const tar = join(dir.path, 'rootfs.tar');
    const r = spawnSync('tar', ['-C', rootfs, '-cf', tar, '.']);
    if (r.status !== 0) throw new Error(`tar failed: ${r.stderr.toString()}`);
    const [repo, tag] = BUSYBOX_IMAGE.split(':') as [string, string];
    const stream = (await docker.importImage(tar, { repo, tag, changes: ['CMD ["/bin/sleep","infinity"]'] } as never)) as unknown as NodeJS.ReadableStream;
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve())));
    return BUSYBOX_IMAGE;
  } finally {
    dir.remove();
  }
}

export async function leakedTestContainers(docker = dockerClient()): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: [TEST_LABEL] } });
  return list.map((c) => `${c.Names.join(',')} (${c.Image}, ${c.State})`);
}
