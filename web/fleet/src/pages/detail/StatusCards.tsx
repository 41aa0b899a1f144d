// The device's last reported status (GET /api/fleet/status as the poller last saw it), as cards.
import { ago, bytes, duration, pct } from '@common/format';
import { Badge, Card, Field, Meter } from '@common/ui';
import { payloadStateLabel, payloadTone } from '@common/payload-model';
import type { FleetStatus } from '../../api';
import { counterRows, offTarget, severityTone } from '../../device-model';

export function HostCard({ host }: { host: FleetStatus['host'] }) {
  return (
    <Card title="Host" testId="detail-host">
      <Meter label={`CPU (${host.cpu.cores} cores, load ${host.cpu.load1.toFixed(2)})`} value={host.cpu.usage_pct} />
      <Meter label="Memory" value={pct(host.memory.used, host.memory.total)} detail={`${bytes(host.memory.used)} / ${bytes(host.memory.total)}`} />
      {host.disks.map((d) => (
        <Meter key={d.mount} label={`Disk ${d.mount}`} value={pct(d.used, d.size)} detail={`${bytes(d.used)} / ${bytes(d.size)}`} />
      ))}
      <dl>
        <Field label="Temperature">{host.temperature_c === null ? 'no sensor' : `${host.temperature_c.toFixed(1)} °C`}</Field>
        <Field label="Hostname">{host.hostname}</Field>
        <Field label="OS">{host.os}</Field>
        <Field label="Kernel">{host.kernel}</Field>
        <Field label="Host uptime">{duration(host.uptime_s)}</Field>
      </dl>
    </Card>
  );
}

export function ApplianceCard({ appliance, targetVersion }: { appliance: FleetStatus['appliance']; targetVersion: string | null }) {
  const off = offTarget(appliance.version, targetVersion);
  return (
    <Card title="Appliance" testId="detail-appliance">
      <dl>
        <Field label="Version">
          <span className={off ? 'off-target mono' : 'mono'}>{appliance.version}</span>
          {off ? <span className="muted"> (target {targetVersion})</span> : null}
        </Field>
        <Field label="Uptime">{duration(appliance.uptime_s)}</Field>
        <Field label="Update channel">{appliance.update.channel}</Field>
        <Field label="Last update check">{ago(appliance.update.last_check)}</Field>
        <Field label="Last update result">{appliance.update.last_result ?? '—'}</Field>
        {appliance.update.previous_version ? <Field label="Previous version">{appliance.update.previous_version}</Field> : null}
      </dl>
    </Card>
  );
}

export function SessionsCard({ sessions }: { sessions: FleetStatus['sessions'] }) {
  return (
    <Card title="Sessions" testId="detail-sessions">
      <Meter label="Active" value={pct(sessions.active, sessions.capacity)} detail={`${sessions.active} / ${sessions.capacity}`} />
      <dl>
        <Field label="Warm pool (headless)">
          {sessions.pool.headless.ready} / {sessions.pool.headless.target}
        </Field>
        <Field label="Warm pool (VNC)">
          {sessions.pool.vnc.ready} / {sessions.pool.vnc.target}
        </Field>
      </dl>
    </Card>
  );
}

/** What happened to session requests since the device started, per protocol (how clients asked). */
export function SessionCountersCard({ counters }: { counters: FleetStatus['sessions']['counters'] }) {
  const rows = counterRows(counters);
  if (rows.length === 0) return null;
  return (
    <Card title="Session requests since the device started" wide>
    <table className="list compact" data-testid="detail-session-counters">
      <thead>
        <tr>
          <th>Protocol</th>
          <th className="num">Created</th>
          <th className="num">From pool</th>
          <th className="num">Queued</th>
          <th>Rejected</th>
          <th className="num">Queue timeouts</th>
          <th>Ended</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.protocol}>
            <td className="mono">{r.protocol}</td>
            <td className="num">{r.created}</td>
            <td className="num">{r.fromPool}</td>
            <td className="num">{r.queued}</td>
            <td>{r.rejected}</td>
            <td className="num">{r.queueTimeouts}</td>
            <td>{r.ended}</td>
          </tr>
        ))}
      </tbody>
    </table>
    </Card>
  );
}

export function PayloadCard({ payload }: { payload: FleetStatus['payload'] }) {
  return (
    <Card title="Payload container" testId="detail-payload">
      {payload ? (
        <dl>
          <Field label="Name">{payload.name}</Field>
          <Field label="State">
            <Badge tone={payloadTone(payload.state)}>{payloadStateLabel(payload.state)}</Badge>
          </Field>
          <Field label="Image">{payload.image ?? '—'}</Field>
          <Field label="Version">{payload.version ?? '—'}</Field>
          <Field label="Started">{payload.started_at ? ago(payload.started_at) : '—'}</Field>
          <Field label="Restarts">{payload.restarts}</Field>
        </dl>
      ) : (
        <p className="muted">No payload container configured.</p>
      )}
    </Card>
  );
}

export function DeviceAlertsCard({ alerts }: { alerts: FleetStatus['alerts'] }) {
  if (alerts.length === 0) return null;
  return (
    <Card title={`Reported by the device (${alerts.length})`}>
      <ul className="alert-list">
        {alerts.map((a) => (
          <li key={a.id}>
            <Badge tone={severityTone(a.severity)}>{a.severity}</Badge>
            <span>{a.message}</span>
            <span className="muted">since {ago(a.since)}</span>
          </li>
        ))}
      </ul>
    </Card>
  );
}
