// Integration setup: a running dockerd and the base test image; at the end, a leak check of
// everything the tests may have started (containers, networks) and the dockerd we started.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { rootDir } from '../src/paths.js';
import { dockerClient, ensureBusyboxImage, ensureDockerd, leakedTestContainers } from './docker-env.js';

let startedDockerd: number | null = null;

export async function setup(_project: TestProject): Promise<void> {
  // Process tests run the compiled appliance and the browser tests load the built UI.
  const build = spawnSync(process.execPath, [join(rootDir, 'scripts', 'bootstrap.mjs'), 'build'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed');
  startedDockerd = await ensureDockerd();
  await ensureBusyboxImage();
  // The docker backend's session image, from the cached Debian rootfs (the first build on a new
  // machine runs debootstrap: a few minutes; later runs reuse it).
  const image = spawnSync(join(rootDir, 'scripts', 'images', 'build-session-image.sh'), [], { stdio: 'inherit' });
  if (image.status !== 0) throw new Error('building the session image failed');
}

export async function teardown(): Promise<void> {
  const docker = dockerClient();
  const leaked = await leakedTestContainers(docker);
  const managed = await docker.listContainers({ all: true, filters: { label: ['outpost.managed=true'] } });
  if (startedDockerd) {
    try {
      process.kill(startedDockerd, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  const networks = (await docker.listNetworks()).filter((n) => n.Name.startsWith('outpost-test-'));
  const problems = [...leaked, ...managed.map((c) => `${c.Names.join(',')} (managed)`), ...networks.map((n) => `network ${n.Name}`)];
  if (problems.length > 0) throw new Error(`tests left containers behind: ${problems.join('; ')}`);
}
