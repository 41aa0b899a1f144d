import { Badge, Card, ErrorNote, Field, Meter } from '@common/ui';
import { ago, bytes, duration, pct } from '@common/format';
import type { UseQueryResult } from '@tanstack/react-query';
import type { FleetStatus } from '../api';
import { AppLink } from '../AppLink';
import { DrainCard } from './DrainCard';
import { payloadStateLabel, payloadTone } from '@common/payload-model';

export function OverviewPage({ status }: { status: UseQueryResult<FleetStatus> }) {
  const s = status.data;
  if (!s) {
    return status.error ? <ErrorNote error={status.error} /> : <p className="muted">Loading…</p>;
  }
  const { host, appliance, payload, alerts, sessions } = s;
  return (
    <>
      <div className="page-title">
        <h1 data-testid="device-name">{s.device.name}</h1>
        <span className="muted mono" data-testid="device-id">
          {s.device.id}
        </span>
        {appliance.drain ? (
          <Badge tone="warn" testId="draining-badge">
            {appliance.drain.state}
          </Badge>
        ) : null}
        {alerts.length === 0 ? <Badge tone="ok">healthy</Badge> : <Badge tone={alerts.some((a) => a.severity === 'critical') ? 'bad' : 'warn'}>{alerts.length} alert(s)</Badge>}
      </div>
      {status.error ? <ErrorNote error={status.error} /> : null}
      <div className="grid">
        <Card title="Appliance" testId="card-appliance">
          <dl>
            <Field label="Version">
              <span data-testid="appliance-version">{appliance.version}</span>
            </Field>
            <Field label="Uptime">{duration(appliance.uptime_s)}</Field>
            <Field label="Started">{new Date(appliance.started_at).toLocaleString()}</Field>
            <Field label="Update channel">{appliance.update.channel}</Field>
            <Field label="Last update check">{ago(appliance.update.last_check)}</Field>
            <Field label="Last update result">{appliance.update.last_result ?? '—'}</Field>
            {appliance.update.previous_version ? <Field label="Previous version">{appliance.update.previous_version}</Field> : null}
            {Object.keys(s.device.labels).length > 0 ? (
              <Field label="Labels">
                {Object.entries(s.device.labels).map(([k, v]) => (
                  <Badge key={k} tone="muted">
                    {v ? `${k}=${v}` : k}
                  </Badge>
                ))}
              </Field>
            ) : null}
          </dl>
        </Card>
        <DrainCard drain={appliance.drain} />
        <Card title="Host" testId="card-host">
          <Meter label={`CPU (${host.cpu.cores} cores, load ${host.cpu.load1.toFixed(2)})`} value={host.cpu.usage_pct} />
          <Meter label="Memory" value={pct(host.memory.used, host.memory.total)} detail={`${bytes(host.memory.used)} / ${bytes(host.memory.total)}`} />
          {host.disks.map((d) => (
            <Meter key={d.mount} label={`Disk ${d.mount}`} value={pct(d.used, d.size)} detail={`${bytes(d.used)} / ${bytes(d.size)}`} />
          ))}
          <dl>
            <Field label="Hostname">{host.hostname}</Field>
            <Field label="OS">{host.os}</Field>
            <Field label="Kernel">{host.kernel}</Field>
            <Field label="Host uptime">{duration(host.uptime_s)}</Field>
            <Field label="Temperature">
              <span data-testid="temperature">{host.temperature_c === null ? 'no sensor' : `${host.temperature_c.toFixed(1)} °C`}</span>
            </Field>
          </dl>
        </Card>
        <Card
          title="Payload container"
          testId="card-payload"
          actions={
            <AppLink to="/payload" className="btn small" testId="payload-manage">
              Manage
            </AppLink>
          }
        >
          {payload ? (
            <dl>
              <Field label="Name">{payload.name}</Field>
              <Field label="State">
                <Badge tone={payloadTone(payload.state)} testId="payload-state">
                  {payloadStateLabel(payload.state)}
                </Badge>
              </Field>
              <Field label="Image">{payload.image ?? '—'}</Field>
              <Field label="Version">{payload.version ?? '—'}</Field>
              <Field label="Started">{payload.started_at ? ago(payload.started_at) : '—'}</Field>
              <Field label="Restarts">{payload.restarts}</Field>
            </dl>
          ) : (
            <p className="muted" data-testid="payload-none">
              No payload container configured (OUTPOST_PAYLOAD_CONTAINER).
            </p>
          )}
        </Card>
        <Card title="Sessions" testId="card-sessions">
          <dl>
            <Field label="Active">
              {sessions.active} / {sessions.capacity}
            </Field>
            <Field label="Warm pool (headless)">
              {sessions.pool.headless.ready} / {sessions.pool.headless.target}
            </Field>
            <Field label="Warm pool (VNC)">
              {sessions.pool.vnc.ready} / {sessions.pool.vnc.target}
            </Field>
          </dl>
        </Card>
        <Card title={`Alerts (${alerts.length})`} testId="card-alerts" wide>
          {alerts.length === 0 ? (
            <p className="muted">No active alerts.</p>
          ) : (
            <ul className="alert-list">
              {alerts.map((a) => (
                <li key={a.id}>
                  <Badge tone={a.severity === 'critical' ? 'bad' : a.severity === 'warning' ? 'warn' : 'info'}>{a.severity}</Badge>
                  <span>{a.message}</span>
                  <span className="muted">since {ago(a.since)}</span>
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>
    </>
  );
}
