// The appliance's /metrics passes `promtool check metrics`, Prometheus' own linter, with every
// metric family present and the session counters and histogram holding series.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeSessionBackend } from '../../test/fake-backend.js';
import { deviceConfig, tempDir, testWebRoot } from '../../test/helpers.js';
import { metricFamilies, promtool } from '../../test/promtool.js';
import { buildApp } from '../app.js';

describe('device /metrics', () => {
  const dir = tempDir();
  let app: FastifyInstance;
  let text: string;

  beforeAll(async () => {
    app = await buildApp(deviceConfig({ OUTPOST_DATA_DIR: dir.path, OUTPOST_POOL_HEADLESS: '0', OUTPOST_POOL_VNC: '0' }), {
      webRoot: testWebRoot(dir.path),
      sessionBackend: fakeSessionBackend(),
    });
    // A session made and one ended, so the counters and the start-time histogram have series.
    const { session } = await app.sessionManager.create({ client_id: 'metrics' });
    await app.sessionManager.create({});
    await app.sessionManager.remove(session.id, 'deleted');
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    text = res.body;
  });
  afterAll(async () => {
    await app?.close();
    dir.remove();
  });

  it('passes promtool check metrics', () => {
    const result = promtool(['check', 'metrics'], text);
    expect(result.output).toBe('');
    expect(result.status).toBe(0);
  });

  it("keeps the process metrics but not prom-client's gauges named like counters", () => {
    const families = metricFamilies(text);
    expect(families.get('nodejs_active_handles')).toBe('gauge');
    expect(families.get('process_cpu_seconds_total')).toBe('counter');
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) expect(families.has(name), name).toBe(false);
    expect(text).toMatch(/^outpost_sessions_created_total\{.*\} 2$/m);
    expect(text).toMatch(/^outpost_sessions_ended_total\{reason="deleted"\} 1$/m);
  });
});
