// Payload reporting against a real Docker engine (started by the integration global setup).
import type Docker from 'dockerode';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX_IMAGE, TEST_LABEL, dockerClient } from '../../test/docker-env.js';
import { deviceConfig, tempDir } from '../../test/helpers.js';
import { buildApp } from '../app.js';

const suffix = `${process.pid}-${Date.now()}`;
const RUNNING = `outpost-test-payload-running-${suffix}`;
const STOPPED = `outpost-test-payload-stopped-${suffix}`;

async function makeContainer(docker: Docker, name: string, start: boolean): Promise<void> {
  const c = await docker.createContainer({ Image: BUSYBOX_IMAGE, name, Labels: { [TEST_LABEL]: 'payload' }, HostConfig: { AutoRemove: false } });
  if (start) await c.start();
}

async function statusFor(name: string, socket?: string) {
  const dir = tempDir();
  const env: Record<string, string> = { OUTPOST_DATA_DIR: dir.path, OUTPOST_PAYLOAD_CONTAINER: name };
  if (socket) env.OUTPOST_DOCKER_SOCKET = socket;
  const app: FastifyInstance = await buildApp(deviceConfig(env));
  try {
    const status = (await app.inject('/api/fleet/status')).json();
    const payload = await app.inject('/api/payload');
    return { status, payload: payload.json(), payloadCode: payload.statusCode };
  } finally {
    await app.close();
    dir.remove();
  }
}

describe('payload container state from the Docker engine', () => {
  const docker = dockerClient();
  beforeAll(async () => {
    await makeContainer(docker, RUNNING, true);
    await makeContainer(docker, STOPPED, false);
  });
  afterAll(async () => {
    for (const name of [RUNNING, STOPPED]) await docker.getContainer(name).remove({ force: true }).catch(() => undefined);
  });

  it('reports a running container with image, tag as version and start time', async () => {
    const { status, payload, payloadCode } = await statusFor(RUNNING);
    expect(status.payload).toMatchObject({ name: RUNNING, state: 'running', image: BUSYBOX_IMAGE, version: '1.0', restarts: 0 });
    expect(Date.parse(status.payload.started_at)).toBeGreaterThan(Date.now() - 120_000);
    expect(status.alerts.find((a: { id: string }) => a.id === 'payload')).toBeUndefined();
    expect(payloadCode).toBe(200);
    expect(payload.container_id).toMatch(/^[0-9a-f]{64}$/);
  });

  it('reports a stopped container and raises a payload alert', async () => {
    const { status } = await statusFor(STOPPED);
    expect(status.payload).toMatchObject({ name: STOPPED, state: 'created', started_at: null });
    const alert = status.alerts.find((a: { id: string }) => a.id === 'payload');
    expect(alert).toMatchObject({ severity: 'critical', message: `payload container ${STOPPED} is created` });
  });

  it('reports an exited container after it ran', async () => {
    const name = `outpost-test-payload-exited-${suffix}`;
    const c = await docker.createContainer({ Image: BUSYBOX_IMAGE, name, Cmd: ['/bin/true'], Labels: { [TEST_LABEL]: 'payload' } });
    try {
      await c.start();
      await c.wait();
      const { status } = await statusFor(name);
      expect(status.payload).toMatchObject({ name, state: 'exited', version: '1.0', started_at: null });
    } finally {
      await c.remove({ force: true });
    }
  });

  it('reports a container that does not exist as missing', async () => {
    const { status, payload } = await statusFor(`outpost-test-no-such-${suffix}`);
    expect(status.payload).toMatchObject({ state: 'missing', image: null, version: null, restarts: 0 });
    expect(payload.state).toBe('missing');
  });

  it('reports docker_unavailable when the engine cannot be reached', async () => {
    const { status } = await statusFor(RUNNING, '/nonexistent/docker.sock');
    expect(status.payload).toMatchObject({ name: RUNNING, state: 'docker_unavailable' });
    expect(status.alerts.find((a: { id: string }) => a.id === 'payload')?.message).toMatch(/Docker engine is unavailable/);
  });
});
