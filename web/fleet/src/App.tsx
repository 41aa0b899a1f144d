import { usePath } from '@common/router';
import { NavLink, TokenPrompt, isUnauthorized, useTokenVersion } from '@common/ui';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useSummary, type FleetSummary } from './api';
import { deviceIdFromPath } from './device-model';
import { AlertsPage } from './pages/AlertsPage';
import { DeviceDetailPage } from './pages/DeviceDetailPage';
import { DevicesPage } from './pages/DevicesPage';
import { MonitorsPage } from './pages/MonitorsPage';
import { ReleasesPage } from './pages/ReleasesPage';
import { SessionsPage } from './pages/SessionsPage';
import { RolloutsPage } from './pages/RolloutsPage';
import { VersionsPage } from './pages/VersionsPage';

const NAV = [
  { to: '/', label: 'Devices' },
  { to: '/versions', label: 'Versions' },
  { to: '/rollouts', label: 'Rollouts' },
  { to: '/releases', label: 'Releases' },
  { to: '/alerts', label: 'Alerts' },
  { to: '/sessions', label: 'Sessions' },
  { to: '/monitors', label: 'Monitors' },
] as const;

function Page({ path }: { path: string }) {
  const deviceId = deviceIdFromPath(path);
  if (deviceId !== null) return <DeviceDetailPage key={deviceId} id={deviceId} />;
  if (path.startsWith('/versions')) return <VersionsPage />;
  if (path.startsWith('/rollouts')) return <RolloutsPage />;
  if (path.startsWith('/releases')) return <ReleasesPage />;
  if (path.startsWith('/alerts')) return <AlertsPage />;
  if (path.startsWith('/sessions')) return <SessionsPage />;
  if (path.startsWith('/monitors')) return <MonitorsPage />;
  return <DevicesPage />;
}

function TopbarMeta({ summary }: { summary: FleetSummary | undefined }) {
  if (!summary) return <>connecting…</>;
  const cycle = summary.last_cycle;
  return (
    <>
      {summary.total} devices
      {cycle ? ` · last poll ${cycle.ok}/${cycle.polled} ok in ${(cycle.duration_ms / 1000).toFixed(1)} s` : ''}
      {summary.target_version ? ` · target ${summary.target_version}` : ''}
    </>
  );
}

export function App() {
  const path = usePath();
  const summary = useSummary();
  const tokenVersion = useTokenVersion();
  const qc = useQueryClient();
  useEffect(() => {
    if (tokenVersion > 0) void qc.invalidateQueries();
  }, [tokenVersion, qc]);

  if (isUnauthorized(summary.error)) return <TokenPrompt product="Outpost fleet monitor" />;
  // The device detail page belongs to "Devices".
  const navPath = path.startsWith('/devices/') ? '/' : path;
  const openAlerts = summary.data?.alerts_open ?? 0;
  return (
    <>
      <header className="topbar">
        <div className="brand">
          Outpost<small>fleet</small>
        </div>
        <nav>
          {NAV.map((n) => (
            <NavLink key={n.to} to={n.to} current={navPath}>
              {n.label}
              {n.to === '/alerts' && openAlerts > 0 ? <span className="nav-count">{openAlerts}</span> : null}
            </NavLink>
          ))}
        </nav>
        <div className="spacer" />
        <div className="meta" data-testid="topbar-meta">
          <TopbarMeta summary={summary.data} />
        </div>
      </header>
      <main className="fleet-main">
        <Page path={path} />
      </main>
    </>
  );
}
