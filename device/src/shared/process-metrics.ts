// The process metrics both services export (prom-client's defaults), made to pass
// `promtool check metrics` (held by device/src/metrics/device-metrics.test.ts and
// fleet/src/fleet-metrics.test.ts, which run promtool on a real /metrics).
import { collectDefaultMetrics, type Registry } from 'prom-client';

/**
 * prom-client's gauges with a counter's suffix. Each is the sum of the gauge of the same name
 * without `_total` (nodejs_active_handles{type=…} and so on), so dropping them loses nothing:
 * `sum(nodejs_active_handles)` is the same figure.
 */
const DROPPED_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'] as const;

export function collectProcessMetrics(registry: Registry): void {
  collectDefaultMetrics({ register: registry });
  for (const name of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(name);
}
