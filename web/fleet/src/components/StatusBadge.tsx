import { Badge } from '@common/ui';
import type { DeviceView } from '../api';
import { STATUS_TONE } from '../device-model';

/** The status badge, the reason as its tooltip, a marker when the device is flapping, and its drain. */
export function StatusBadge({ device: d }: { device: Pick<DeviceView, 'status' | 'reason' | 'flapping' | 'drain'> }) {
  return (
    <span className="status-cell" title={d.reason ?? d.status}>
      <Badge tone={STATUS_TONE[d.status]}>{d.status}</Badge>
      {d.flapping ? (
        <span className="flapping" title="flapping: changing state often" aria-label="flapping">
          ↯
        </span>
      ) : null}
      {d.drain ? (
        <Badge tone="warn" testId="device-drain">
          {d.drain}
        </Badge>
      ) : null}
    </span>
  );
}
