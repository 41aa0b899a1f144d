// Per-test Docker settings for the docker backend: a network and a port range of its own, so test
// files running in parallel never collide, and a cleanup that removes both.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { managedFilter } from '../src/docker/container-labels.js';
import { ownerKey } from '../src/sessions/backends/owned-processes.js';
import { rootDir } from '../src/shared/paths.js';
import { dockerClient } from './docker-env.js';

let counter = 0;

export function sessionImage(): string {
  return `outpost-session:${readFileSync(join(rootDir, 'VERSION'), 'utf8').trim()}`;
}

export function dockerEnv(ports = 10): Record<string, string> {
  counter += 1;
  const n = (process.pid * 7 + counter * 13) % 200;
  const portMin = 30000 + ((process.pid % 50) * 400 + counter * 40) % 20000;
  return {
    OUTPOST_BACKEND: 'docker',
    OUTPOST_DOCKER_IMAGE: sessionImage(),
    OUTPOST_DOCKER_NETWORK: `outpost-test-${process.pid}-${counter}`,
    OUTPOST_DOCKER_SUBNET: `10.${200 + (n % 50)}.${n}.0/24`,
    OUTPOST_DOCKER_PORT_MIN: String(portMin),
    OUTPOST_DOCKER_PORT_MAX: String(portMin + ports - 1),
  };
}

/** Remove every container of this data dir's owner key, and the test network. */
export async function cleanupDocker(dataDir: string, network: string): Promise<void> {
  const docker = dockerClient();
  const left = await docker.listContainers({ all: true, filters: { label: managedFilter(ownerKey(dataDir)) } });
  for (const c of left) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  await docker.getNetwork(network).remove().catch(() => undefined);
}

export async function ownedContainers(dataDir: string) {
  return dockerClient().listContainers({ all: true, filters: { label: managedFilter(ownerKey(dataDir)) } });
}
