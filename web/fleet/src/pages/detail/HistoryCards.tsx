import { ago } from '@common/format';
import { Badge, Card } from '@common/ui';
import type { DeviceDetail, Transition } from '../../api';
import { STATUS_TONE, severityTone } from '../../device-model';

export function TransitionsCard({ transitions, now }: { transitions: Transition[]; now: number }) {
  return (
    <Card title={`Status changes (${transitions.length})`} testId="detail-transitions">
      {transitions.length === 0 ? (
        <p className="muted">No status changes recorded.</p>
      ) : (
        <table className="list compact">
          <tbody>
            {transitions.map((t, i) => (
              <tr key={`${t.ts}-${i}`}>
                <td className="nowrap" title={new Date(t.ts).toLocaleString()}>
                  {ago(t.ts, now)}
                </td>
                <td className="nowrap">
                  <Badge tone={STATUS_TONE[t.from]}>{t.from}</Badge> → <Badge tone={STATUS_TONE[t.to]}>{t.to}</Badge>
                </td>
                <td className="muted">{t.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}

export function RecentAlertsCard({ alerts, now }: { alerts: DeviceDetail['alerts_recent']; now: number }) {
  return (
    <Card title={`Alerts (${alerts.length})`} testId="detail-alerts">
      {alerts.length === 0 ? (
        <p className="muted">No alerts for this device.</p>
      ) : (
        <table className="list compact">
          <tbody>
            {alerts.map((a) => (
              <tr key={a.id}>
                <td>
                  <Badge tone={severityTone(a.severity)}>{a.severity}</Badge>
                </td>
                <td>
                  {a.title} <span className="muted">({a.rule})</span>
                </td>
                <td className="nowrap" title={new Date(a.opened_at).toLocaleString()}>
                  {ago(a.opened_at, now)}
                </td>
                <td className="nowrap">{a.resolved_at ? <span className="muted">resolved {ago(a.resolved_at, now)}</span> : <Badge tone="bad">open</Badge>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
