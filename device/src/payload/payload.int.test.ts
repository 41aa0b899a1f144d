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

describe('payload container control', () => {
  const docker = dockerClient();
  const name = `outpost-test-payload-ctl-${suffix}`;
  const dir = tempDir();
  let app: FastifyInstance;
  beforeAll(async () => {
    const c = await docker.createContainer({
      Image: BUSYBOX_IMAGE,
      name,
      Labels: { [TEST_LABEL]: 'payload' },
      Cmd: ['/bin/sh', '-c', 'trap "exit 0" TERM; echo autopilot starting; echo "sensor warning" >&2; i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done'],
    });
    await c.start();
    app = await buildApp(deviceConfig({ OUTPOST_DATA_DIR: dir.path, OUTPOST_PAYLOAD_CONTAINER: name }));
  });
  afterAll(async () => {
    await app.close();
    await docker.getContainer(name).remove({ force: true }).catch(() => undefined);
    dir.remove();
  });

  it('shows the last log lines of both streams, bounded', async () => {
    await new Promise((r) => setTimeout(r, 800));
    const res = await app.inject('/api/payload/logs?lines=3');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.name).toBe(name);
    expect(body.lines).toHaveLength(3);
    for (const l of body.lines) expect(l.text).toMatch(/^tick \d+$/);
    expect(Date.parse(body.lines[0].time)).toBeGreaterThan(Date.now() - 60_000);
    const all = (await app.inject('/api/payload/logs?lines=5000')).json().lines;
    expect(all.find((l: { stream: string }) => l.stream === 'stderr')?.text).toBe('sensor warning');
    // Docker reads stdout and stderr through separate pipes, so only the order within a stream is
    // kept: the first stdout line is the container's first echo.
    expect(all.find((l: { stream: string }) => l.stream === 'stdout')?.text).toBe('autopilot starting');
    for (const bad of ['lines=0', 'lines=5001', 'lines=many', 'tail=5']) {
      const r = await app.inject(`/api/payload/logs?${bad}`);
      expect(r.statusCode, bad).toBe(400);
      expect(r.json().error.message).toMatch(/lines|tail/);
    }
  });

  it('stops, refuses a second stop with 409, starts, refuses a second start, and restarts', async () => {
    const stopped = await app.inject({ method: 'POST', url: '/api/payload/stop' });
    expect(stopped.statusCode).toBe(200);
    expect(stopped.json().state).toBe('exited');
    expect((await app.inject('/api/fleet/status')).json().payload.state).toBe('exited');

    const again = await app.inject({ method: 'POST', url: '/api/payload/stop' });
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toEqual({ code: 'payload_not_running', message: `the payload container ${name} is not running (exited)` });

    const started = await app.inject({ method: 'POST', url: '/api/payload/start' });
    expect(started.statusCode).toBe(200);
    expect(started.json().state).toBe('running');
    const firstStart = started.json().started_at;

    const twice = await app.inject({ method: 'POST', url: '/api/payload/start' });
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error.code).toBe('payload_already_running');

    const restarted = await app.inject({ method: 'POST', url: '/api/payload/restart' });
    expect(restarted.statusCode).toBe(200);
    expect(restarted.json().state).toBe('running');
    expect(Date.parse(restarted.json().started_at)).toBeGreaterThan(Date.parse(firstStart));

    const unknown = await app.inject({ method: 'POST', url: '/api/payload/explode' });
    expect(unknown.statusCode).toBe(400);
  });

  it('answers 404 for actions on a container that does not exist', async () => {
    const other = tempDir();
    const missing = await buildApp(deviceConfig({ OUTPOST_DATA_DIR: other.path, OUTPOST_PAYLOAD_CONTAINER: `outpost-test-gone-${suffix}` }));
    try {
      for (const url of ['/api/payload/start', '/api/payload/stop', '/api/payload/restart']) {
        const res = await missing.inject({ method: 'POST', url });
        expect(res.statusCode, url).toBe(404);
        expect(res.json().error.code).toBe('payload_missing');
      }
      expect((await missing.inject('/api/payload/logs')).statusCode).toBe(404);
    } finally {
      await missing.close();
      other.remove();
    }
  });
});
