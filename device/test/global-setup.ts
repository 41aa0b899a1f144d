// Integration setup: a running dockerd and the base test image; at the end, a leak check of
// everything the tests may have started (containers, networks) and the dockerd we started.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTestReleases } from '../../scripts/testbed/testbed.js';
import type { TestProject } from 'vitest/node';
import { rootDir } from '../src/shared/paths.js';
import { dockerClient, ensureBusyboxImage, ensureDockerd, leakedTestContainers } from './docker-env.js';

let startedDockerd: number | null = null;

/** The releases the testbed tests install, update to and roll back from (built once per run). */
export const TEST_RELEASES = [
  { version: '1.0.0' },
  { version: '2.0.0' },
  { version: '3.0.0', broken: true },
  { version: '3.1.0', brokenBrowser: true },
  { version: '2.1.0' },
  { version: '2.2.0' },
  { version: '2.3.0' },
  { version: '1.5.0' },
  // Uploaded through the dashboard's Releases page, never published by hand.
  { version: '2.4.0' },
];

declare module 'vitest' {
  export interface ProvidedContext {
    testReleasesDir: string;
  }
}

export async function setup(project: TestProject): Promise<void> {
  // Process tests run the compiled appliance and the browser tests load the built UI.
  const build = spawnSync(process.execPath, [join(rootDir, 'scripts', 'bootstrap.mjs'), 'build'], { stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed');
  startedDockerd = await ensureDockerd();
  await ensureBusyboxImage();
  // The docker backend's session image, from the cached Debian rootfs (the first build on a new
  // machine runs debootstrap: a few minutes; later runs reuse it).
  const image = spawnSync(join(rootDir, 'scripts', 'images', 'build-session-image.sh'), [], { stdio: 'inherit' });
  if (image.status !== 0) throw new Error('building the session image failed');
  // Signed releases for the update and Ansible tests, from one staged tree (signed with a test key).
  const releasesDir = join(tmpdir(), `outpost-test-releases-${process.pid}`);
  buildTestReleases(releasesDir, TEST_RELEASES);
  project.provide('testReleasesDir', releasesDir);
  cleanupDirs.push(releasesDir);
}

const cleanupDirs: string[] = [];

export async function teardown(): Promise<void> {
  for (const d of cleanupDirs) rmSync(d, { recursive: true, force: true });
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
