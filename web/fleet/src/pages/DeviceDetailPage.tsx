import { ago } from '@common/format';
import { useNow } from '@common/hooks';
import { AppLink } from '@common/link';
import { ApiError } from '@common/api';
import { Badge, Card, ErrorNote, Field } from '@common/ui';
import { useDevice, useDeviceDrain, useDeviceHistory, useSummary, type DeviceDetail } from '../api';
import { StatusBadge } from '../components/StatusBadge';
import { HistoryChart } from './detail/HistoryChart';
import { RecentAlertsCard, TransitionsCard } from './detail/HistoryCards';
import { UpdateTimelineCard } from './detail/UpdateTimelineCard';
import { ApplianceCard, DeviceAlertsCard, HostCard, PayloadCard, SessionCountersCard, SessionsCard } from './detail/StatusCards';

const HISTORY_HOURS = 24;

function IdentityCard({ device: d, now }: { device: DeviceDetail; now: number }) {
  return (
    <Card title="Device" testId="detail-identity">
      <dl>
        <Field label="Id">
          <span className="mono">{d.id}</span>
        </Field>
        <Field label="Address">
          <span className="mono">
            {d.address}:{d.port}
          </span>
        </Field>
        <Field label="Groups">{d.groups.length > 0 ? d.groups.join(', ') : '—'}</Field>
        {Object.keys(d.labels).length > 0 ? (
          <Field label="Labels">
            {Object.entries(d.labels).map(([k, v]) => (
              <Badge key={k} tone="muted">
                {v ? `${k}=${v}` : k}
              </Badge>
            ))}
          </Field>
        ) : null}
        <Field label="Status">
          <StatusBadge device={d} /> {d.reason ? <span className="muted">{d.reason}</span> : null}
        </Field>
        <Field label="Last seen">{ago(d.last_seen, now)}</Field>
        <Field label="Polled by">
          {d.polled_by ? (
            <AppLink to="/monitors" className="mono" testId="detail-polled-by" title="The monitors">
              {d.polled_by}
            </AppLink>
          ) : (
            <span className="muted">not polled yet</span>
          )}
        </Field>
        <Field label="Poll latency">{d.latency_ms === null ? '—' : `${Math.round(d.latency_ms)} ms`}</Field>
        <Field label="Open alerts">{d.alerts}</Field>
      </dl>
    </Card>
  );
}

/** Drain the device before maintenance (it takes no new sessions; live ones finish), or end the drain. */
function DrainButton({ device: d }: { device: DeviceDetail }) {
  const drain = useDeviceDrain(d.id);
  const on = d.drain !== null;
  return (
    <>
      <ErrorNote error={drain.error} />
      <button type="button" className="btn" disabled={drain.isPending} onClick={() => drain.mutate(!on)} data-testid="device-drain-toggle">
        {drain.isPending ? '…' : on ? 'End drain' : 'Drain'}
      </button>
    </>
  );
}

export function DeviceDetailPage({ id }: { id: string }) {
  const device = useDevice(id);
  const history = useDeviceHistory(id, HISTORY_HOURS);
  const target = useSummary().data?.target_version ?? null;
  const now = useNow(5000);
  const d = device.data;
  if (!d) {
    if (device.error instanceof ApiError && device.error.status === 404)
      return (
        <div data-testid="device-detail">
          <p className="muted">
            No device <span className="mono">{id}</span> in the inventory. <AppLink to="/">Back to the devices</AppLink>
          </p>
        </div>
      );
    return device.error ? <ErrorNote error={device.error} /> : <p className="muted">Loading…</p>;
  }
  const s = d.last_status ?? null;
  return (
    <div data-testid="device-detail">
      <div className="page-title">
        <AppLink to="/" className="muted">
          ← Devices
        </AppLink>
        <h1 data-testid="detail-name">{d.name}</h1>
        <StatusBadge device={d} />
        {d.reason ? <span className="muted">{d.reason}</span> : null}
        <span className="spacer" />
        <DrainButton device={d} />
        <a className="btn primary" href={d.url} target="_blank" rel="noopener noreferrer" data-testid="device-open">
          Open device UI
        </a>
      </div>
      <ErrorNote error={device.error} />
      <div className="grid">
        <IdentityCard device={d} now={now} />
        {s ? (
          <>
            <HostCard host={s.host} />
            <ApplianceCard appliance={s.appliance} targetVersion={target} />
            <SessionsCard sessions={s.sessions} />
            <PayloadCard payload={s.payload} />
            <DeviceAlertsCard alerts={s.alerts} />
            <SessionCountersCard counters={s.sessions.counters} />
          </>
        ) : (
          <Card title="Last status">
            <p className="muted">The device has not answered a poll yet.</p>
          </Card>
        )}
        <Card title={`Last ${HISTORY_HOURS} h`} wide>
          <ErrorNote error={history.error} />
          {history.data ? <HistoryChart history={history.data} hours={HISTORY_HOURS} now={now} /> : history.error ? null : <p className="muted">Loading…</p>}
        </Card>
      </div>
      <div className="detail-lists">
        <TransitionsCard transitions={d.transitions} now={now} />
        <RecentAlertsCard alerts={d.alerts_recent} now={now} />
      </div>
      <UpdateTimelineCard id={d.id} now={now} />
    </div>
  );
}
