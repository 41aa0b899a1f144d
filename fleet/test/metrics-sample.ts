// A real /metrics of the monitor with every family holding series: after a poll cycle (its one
// device does not answer), a rollout and a failed update report. For the promtool check
// (fleet-metrics.test.ts) and the checks that Prometheus rules and Grafana dashboards name only
// metrics that exist (fleet/prometheus, fleet/grafana).
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { tempDir } from '../../device/test/index.js';
import { writeRelease } from '../src/updates/test-support.js';
import { oneDeviceFleet } from './test-fleet.js';

/** The one-device monitor of test-fleet.ts (store in `dir`) after a poll cycle, a rollout of 1.1.0 to half of stable, and kiosk-1 reporting that update failed. */
export async function busyFleet(dir: string): Promise<FastifyInstance> {
  const app = await oneDeviceFleet(dir);
  await app.ready();
  await app.monitor.poller.runCycle();
  writeRelease(join(dir, 'releases'), '1.1.0');
  const started = await app.inject({ method: 'POST', url: '/api/rollouts/stable', payload: { version: '1.1.0', percent: 50 } });
  const report = { device: 'kiosk-1', channel: 'stable', from_version: '1.0.0', to_version: '1.1.0', result: 'failed' };
  const reported = await app.inject({ method: 'POST', url: '/api/updates/report', payload: report });
  if (started.statusCode !== 200 || reported.statusCode !== 202) throw new Error(`rollout ${started.statusCode}, report ${reported.statusCode}`);
  return app;
}

export async function sampleFleetMetrics(): Promise<string> {
  const dir = tempDir('outpost-fleet-metrics-');
  const app = await busyFleet(dir.path);
  try {
    return (await app.inject('/metrics')).body;
  } finally {
    await app.close();
    dir.remove();
  }
}
