import { ago } from '@common/format';
import { useNow } from '@common/hooks';
import { AppLink } from '@common/link';
import { Badge, Card, ErrorNote } from '@common/ui';
import { useState } from 'react';
import { ALERTS_LIMIT, useAckAlert, useAlerts, useSummary, type AlertState, type FleetAlert } from '../api';
import { deviceHref, severityTone } from '../device-model';
import { SilencesSection } from './alerts/SilencesSection';

type Tab = AlertState | 'silences';
const TABS: Tab[] = ['open', 'resolved', 'silences'];

function Marks({ alert: a, now }: { alert: FleetAlert; now: number }) {
  return (
    <>
      {a.silenced_by.length > 0 ? (
        <div data-testid={`alert-silenced-${a.id}`}>
          <Badge tone="muted">silenced by {a.silenced_by.map((id) => `#${id}`).join(', ')}</Badge>
        </div>
      ) : null}
      {a.acked_at ? (
        <div className="muted small" data-testid={`alert-acked-${a.id}`} title={new Date(a.acked_at).toLocaleString()}>
          acknowledged by {a.acked_by} {ago(a.acked_at, now)}
        </div>
      ) : null}
    </>
  );
}

function AckButton({ alert: a }: { alert: FleetAlert }) {
  const ack = useAckAlert();
  if (a.state !== 'open') return null;
  const on = a.acked_at === null;
  return (
    <button type="button" className="btn small" disabled={ack.isPending} onClick={() => ack.mutate({ key: a.key, on })} data-testid={`alert-ack-${a.id}`}>
      {on ? 'Acknowledge' : 'Un-acknowledge'}
    </button>
  );
}

/** The matchers of a silence for just this alert: its rule, on its device (or fleet-wide). */
export const silenceMatchersFor = (a: Pick<FleetAlert, 'device_id' | 'rule'>): string => (a.device_id ? `device=${a.device_id}, rule=${a.rule}` : `rule=${a.rule}`);

function AlertRow({ alert: a, now, onSilence }: { alert: FleetAlert; now: number; onSilence: (matchers: string) => void }) {
  return (
    <tr data-testid={`alert-row-${a.id}`}>
      <td>
        <Badge tone={severityTone(a.severity)}>{a.severity}</Badge>
      </td>
      <td>
        <div>{a.title}</div>
        {a.message && a.message !== a.title ? <div className="muted small">{a.message}</div> : null}
        <Marks alert={a} now={now} />
      </td>
      <td>{a.device_id ? <AppLink to={deviceHref(a.device_id)}>{a.device_id}</AppLink> : <span className="muted">fleet</span>}</td>
      <td className="mono small">{a.rule}</td>
      <td className="nowrap" title={new Date(a.opened_at).toLocaleString()}>
        {ago(a.opened_at, now)}
      </td>
      <td className="nowrap">{a.resolved_at ? ago(a.resolved_at, now) : '—'}</td>
      <td className="num" title={a.last_notified_at ? `last sent ${ago(a.last_notified_at, now)}` : 'not sent yet'}>
        {a.notify_count}
      </td>
      <td className="nowrap">
        <AckButton alert={a} />
        {a.state === 'open' ? (
          <button type="button" className="btn small" onClick={() => onSilence(silenceMatchersFor(a))} data-testid={`alert-silence-${a.id}`}>
            Silence…
          </button>
        ) : null}
      </td>
    </tr>
  );
}

export function AlertsPage() {
  const [tab, setTab] = useState<Tab>('open');
  // "Silence…" on an alert opens the Silences tab with the form filled in for it.
  const [prefill, setPrefill] = useState<{ matchers: string; n: number } | null>(null);
  const silence = (matchers: string) => {
    setPrefill({ matchers, n: (prefill?.n ?? 0) + 1 });
    setTab('silences');
  };
  return (
    <>
      <div className="page-title">
        <h1>Alerts</h1>
        <div className="tabs" role="tablist">
          {TABS.map((t) => (
            <button key={t} type="button" role="tab" aria-selected={tab === t} className={tab === t ? 'tab active' : 'tab'} onClick={() => setTab(t)} data-testid={`alerts-tab-${t}`}>
              {t}
            </button>
          ))}
        </div>
      </div>
      {tab === 'silences' ? <SilencesSection key={prefill?.n ?? 0} matchers={prefill?.matchers ?? ''} /> : <AlertList tab={tab} onSilence={silence} />}
    </>
  );
}

function AlertList({ tab, onSilence }: { tab: AlertState; onSilence: (matchers: string) => void }) {
  const alerts = useAlerts(tab);
  const now = useNow(5000);
  // While another tab's list loads, the previous one is shown (placeholder data); hide it if it is the wrong state.
  const rows = (alerts.data ?? []).filter((a) => a.state === tab);
  const openTotal = useSummary().data?.alerts_open;
  const shown = tab === 'open' && openTotal !== undefined && openTotal > rows.length ? `${rows.length} of ${openTotal}` : String(rows.length);
  return (
    <>
      <ErrorNote error={alerts.error} />
      <Card title={`${shown} ${tab} alert${rows.length === 1 ? '' : 's'}`} wide>
        <table className="list" data-testid="alerts-table">
          <thead>
            <tr>
              <th>Severity</th>
              <th>Alert</th>
              <th>Device</th>
              <th>Rule</th>
              <th>Opened</th>
              <th>Resolved</th>
              <th className="num">Sent</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((a) => (
              <AlertRow key={a.id} alert={a} now={now} onSilence={onSilence} />
            ))}
          </tbody>
        </table>
        {rows.length === ALERTS_LIMIT ? <p className="muted">Showing the first {ALERTS_LIMIT}.</p> : null}
        {alerts.data && rows.length === 0 && !alerts.isPlaceholderData ? <p className="muted">{tab === 'open' ? 'No open alerts.' : 'No resolved alerts.'}</p> : null}
      </Card>
    </>
  );
}
