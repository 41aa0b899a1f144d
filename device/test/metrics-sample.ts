// A real /metrics of the appliance with its counters and histograms holding series: for the
// promtool check (device-metrics.test.ts) and the checks that Prometheus rules and Grafana
// dashboards name only metrics that exist (fleet/prometheus, fleet/grafana).
import { buildApp } from '../src/app.js';
import { fakeSessionBackend } from './fake-backend.js';
import { deviceConfig, tempDir, testWebRoot } from './helpers.js';

/** /metrics after two sessions were made (one cold start each), a third refused (full), and one ended. */
export async function sampleDeviceMetrics(): Promise<string> {
  const dir = tempDir();
  const app = await buildApp(deviceConfig({ OUTPOST_DATA_DIR: dir.path, OUTPOST_POOL_HEADLESS: '0', OUTPOST_POOL_VNC: '0', OUTPOST_MAX_SESSIONS: '2' }), {
    webRoot: testWebRoot(dir.path),
    sessionBackend: fakeSessionBackend(),
  });
  try {
    const { session } = await app.sessionManager.create({ client_id: 'metrics' });
    await app.sessionManager.create({});
    await app.sessionManager.create({}, { protocol: 'playwright' }).then(
      () => Promise.reject(new Error('a third session fit in two slots')),
      () => undefined,
    );
    await app.sessionManager.remove(session.id, 'deleted');
    const res = await app.inject('/metrics');
    if (res.statusCode !== 200) throw new Error(`/metrics answered ${res.statusCode}`);
    return res.body;
  } finally {
    await app.close();
    dir.remove();
  }
}
