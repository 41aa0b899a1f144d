import { Badge } from '@common/ui';
import type { DeviceView } from '../api';
import { STATUS_TONE } from '../device-model';

/** The status badge, the reason as its tooltip, and a marker when the device is flapping. */
export function StatusBadge({ device: d }: { device: Pick<DeviceView, 'status' | 'reason' | 'flapping'> }) {
  return (
    <span className="status-cell" title={d.reason ?? d.status}>
      <Badge tone={STATUS_TONE[d.status]}>{d.status}</Badge>
      {d.flapping ? (
        <span className="flapping" title="flapping: changing state often" aria-label="flapping">
          ↯
        </span>
      ) : null}
    </span>
  );
}
