import { AppLink } from '@common/link';
import { Badge, Card, ErrorNote } from '@common/ui';
import { useSummary, useVersions } from '../api';
import { filtersToSearch, EMPTY_FILTERS } from '../device-model';
import { versionRows } from '../version-model';

export function VersionsPage() {
  const versions = useVersions();
  const summary = useSummary();
  const target = summary.data?.target_version ?? null;
  const rows = versionRows(versions.data ?? [], target);
  const total = rows.reduce((n, r) => n + r.count, 0);
  return (
    <>
      <div className="page-title">
        <h1>Versions</h1>
        <span className="muted">{target ? `target ${target}` : 'no target version set'}</span>
      </div>
      <ErrorNote error={versions.error} />
      <Card title={`${rows.length} version${rows.length === 1 ? '' : 's'} across ${total} devices`} wide>
        {versions.data && rows.length === 0 ? <p className="muted">No devices.</p> : null}
        <table className="list" data-testid="versions-table">
          <thead>
            <tr>
              <th>Version</th>
              <th className="num">Devices</th>
              <th className="num">Online</th>
              <th className="bar-col">Share</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.version} data-testid={`version-row-${r.version}`} className={r.isTarget ? 'target-row' : undefined}>
                <td>
                  <AppLink to={`/${filtersToSearch({ ...EMPTY_FILTERS, version: r.version })}`} className="mono" title="Show these devices">
                    {r.version}
                  </AppLink>{' '}
                  {r.isTarget ? <Badge tone="ok">target</Badge> : null}
                </td>
                <td className="num">{r.count}</td>
                <td className="num">{r.online}</td>
                <td className="bar-col">
                  <div className="bar-cell">
                    <div className="hbar" title={`${r.sharePct.toFixed(1)}% of the fleet; the dark strip: ${r.online} online`}>
                      <div className={`hbar-fill${r.isTarget ? ' target' : ''}`} style={{ width: `${r.sharePct}%` }} />
                      <div className="hbar-online" style={{ width: `${r.onlinePct}%` }} />
                    </div>
                    <span className="hbar-label">{r.sharePct.toFixed(1)}%</span>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </Card>
    </>
  );
}
