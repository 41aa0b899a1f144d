import { ago } from '@common/format';
import { AppLink } from '@common/link';
import { navigate } from '@common/router';
import { Badge } from '@common/ui';
import { memo } from 'react';
import type { DeviceView } from '../../api';
import { StatusBadge } from '../../components/StatusBadge';
import { EMPTY_FILTERS, deviceHref, filtersToSearch, offTarget, sessionsLabel } from '../../device-model';

/** Fixed, so the virtualizer never has to measure a row. Matches .device-row in fleet.css. */
export const ROW_HEIGHT = 44;

interface RowProps {
  device: DeviceView;
  index: number;
  /** Offset from the top of the list, in px. */
  start: number;
  now: number;
  targetVersion: string | null;
}

export const DeviceRow = memo(function DeviceRow({ device: d, index, start, now, targetVersion }: RowProps) {
  const href = deviceHref(d.id);
  const off = offTarget(d.version, targetVersion);
  return (
    <div className="device-grid device-row" role="row" aria-rowindex={index + 2} style={{ transform: `translateY(${start}px)` }} onClick={() => navigate(href)} data-testid={`device-row-${d.id}`}>
      <div role="cell">
        <StatusBadge device={d} />
      </div>
      <div role="cell" className="cell-name">
        <AppLink to={href} className="device-name">
          {d.name}
        </AppLink>
        {d.name !== d.id ? <span className="mono muted device-id">{d.id}</span> : null}
      </div>
      <div role="cell" className="mono ellipsis" title={`${d.address}:${d.port}`}>
        {d.address}:{d.port}
      </div>
      <div role="cell" className="ellipsis" title={d.groups.join(', ')}>
        {d.groups.join(', ') || <span className="muted">—</span>}
      </div>
      <div role="cell" className={`mono ellipsis${off ? ' off-target' : ''}`} title={off ? `not the target version (${targetVersion})` : undefined}>
        {d.version ?? <span className="muted">—</span>}
      </div>
      <div role="cell" className="num">
        {sessionsLabel(d)}
        {d.sessions?.rejected ? (
          <>
            {' '}
            <Badge tone="warn" testId={`device-rejected-${d.id}`}>
              {d.sessions.rejected} rejected
            </Badge>
          </>
        ) : null}
      </div>
      <div role="cell" className="num">
        {d.alerts > 0 ? <Badge tone="bad">{d.alerts}</Badge> : <span className="muted">0</span>}
      </div>
      <div role="cell" className="ellipsis" data-testid="device-polled-by">
        {d.polled_by ? (
          <AppLink to={`/${filtersToSearch({ ...EMPTY_FILTERS, polledBy: d.polled_by })}`} className="polled-by mono" title={`Polled by ${d.polled_by}: show the devices it polls`}>
            {d.polled_by}
          </AppLink>
        ) : (
          <span className="muted" title="not polled yet">
            —
          </span>
        )}
      </div>
      <div role="cell" className="ellipsis" title={d.last_seen ?? 'never'}>
        {ago(d.last_seen, now)}
      </div>
      <div role="cell">
        <a className="btn small" href={d.url} target="_blank" rel="noopener noreferrer" onClick={(e) => e.stopPropagation()} title={`Open ${d.url}`}>
          Open
        </a>
      </div>
    </div>
  );
});

export function DeviceRowPlaceholder({ index, start }: { index: number; start: number }) {
  return (
    <div className="device-grid device-row pending" role="row" aria-rowindex={index + 2} aria-busy="true" style={{ transform: `translateY(${start}px)` }}>
      <div role="cell">
        <span className="skeleton" />
      </div>
      <div role="cell">
        <span className="skeleton wide" />
      </div>
    </div>
  );
}
