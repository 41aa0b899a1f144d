import { ago, bytes, duration } from '@common/format';
import { useNow } from '@common/hooks';
import { AppLink } from '@common/link';
import { Badge, Card, ErrorNote } from '@common/ui';
import { useMonitors, type MonitorList } from '../api';
import { EMPTY_FILTERS, filtersToSearch } from '../device-model';
import { cycleCounts, modeLine, monitorRows, durationLabel, type MonitorRow } from '../monitor-model';

function LeaseCell({ m, mode, now }: { m: MonitorRow; mode: MonitorList['mode']; now: number }) {
  // A single monitor holds no lease: nobody could take over from it.
  if (mode === 'single') return <span className="muted">no lease (single monitor)</span>;
  if (!m.alive)
    return (
      <span title={`lease until ${m.lease_until}`}>
        lapsed {ago(m.lease_until, now)}
        <div className="small muted">renewed {ago(m.renewed_at, now)}</div>
      </span>
    );
  return (
    <span title={`renewed ${m.renewed_at}, lease until ${m.lease_until}`}>
      renewed {ago(m.renewed_at, now)}
      <div className="small muted">lease until {ago(m.lease_until, now)}</div>
    </span>
  );
}

function MonitorRowView({ m, mode, now }: { m: MonitorRow; mode: MonitorList['mode']; now: number }) {
  const c = m.last_cycle;
  return (
    <tr data-testid={`monitor-row-${m.id}`} data-alive={m.alive} className={m.alive ? undefined : 'monitor-dead'}>
      <td>
        <span className="mono">{m.id}</span>{' '}
        {m.leader ? (
          <Badge tone="info" testId="monitor-leader">
            leader
          </Badge>
        ) : null}{' '}
        {m.self ? (
          <Badge tone="muted" testId="monitor-self">
            this one
          </Badge>
        ) : null}{' '}
        {m.alive ? null : (
          <Badge tone="bad" testId="monitor-dead">
            dead
          </Badge>
        )}
        <div className="small muted">
          {m.hostname ?? '?'} · pid {m.pid ?? '?'} · up {duration((now - Date.parse(m.started_at)) / 1000)}
        </div>
      </td>
      <td className="ellipsis">
        {m.url ? (
          <a href={m.url} target="_blank" rel="noopener noreferrer" className="mono">
            {m.url}
          </a>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td className="mono">{m.version}</td>
      <td>
        <Badge tone={m.alive ? 'ok' : 'bad'}>{m.alive ? 'alive' : 'dead'}</Badge> <LeaseCell m={m} mode={mode} now={now} />
      </td>
      <td className="num">
        <AppLink to={`/${filtersToSearch({ ...EMPTY_FILTERS, polledBy: m.id })}`} testId="monitor-devices" title="Show the devices it polls">
          {m.devices}
        </AppLink>
        {mode === 'shared' && m.alive ? <div className="small muted">{m.sharePct.toFixed(0)}%</div> : null}
      </td>
      <td>
        {c ? (
          <span title={`started ${c.at}`} data-testid="monitor-cycle">
            {durationLabel(c.duration_ms)} <span className="muted">{ago(c.at, now)}</span>
            <div className="small muted">{cycleCounts(c)}</div>
          </span>
        ) : (
          <span className="muted">none yet</span>
        )}
      </td>
      <td className="num" data-testid="monitor-rss">
        {bytes(m.rss_bytes)}
      </td>
    </tr>
  );
}

/** The monitors that share the fleet (just this one with SQLite): leases, leader, shares, own health. */
export function MonitorsPage() {
  const monitors = useMonitors();
  const now = useNow(1000);
  const list = monitors.data;
  const rows = list ? monitorRows(list) : [];
  return (
    <>
      <div className="page-title">
        <h1>Monitors</h1>
        {list ? (
          <span className="muted" data-testid="monitors-mode">
            {modeLine(list)}
          </span>
        ) : null}
      </div>
      <ErrorNote error={monitors.error} />
      <Card title={list ? `${rows.length} monitor${rows.length === 1 ? '' : 's'}` : 'Monitors'} wide>
        {list ? null : monitors.error ? null : <p className="muted">Loading…</p>}
        <table className="list" data-testid="monitors-table">
          <thead>
            <tr>
              <th>Monitor</th>
              <th>URL</th>
              <th>Version</th>
              <th>Lease</th>
              <th className="num">Devices</th>
              <th>Last cycle</th>
              <th className="num">RSS</th>
            </tr>
          </thead>
          <tbody>
            {list ? rows.map((m) => <MonitorRowView key={m.id} m={m} mode={list.mode} now={now} />) : null}
          </tbody>
        </table>
      </Card>
    </>
  );
}
