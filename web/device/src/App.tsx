import { NavLink, TokenPrompt, isUnauthorized, useTokenVersion } from '@common/ui';
import { usePath } from '@common/router';
import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useFleetStatus } from './api';
import { OverviewPage } from './pages/OverviewPage';
import { PayloadPage } from './pages/PayloadPage';
import { ProfilesPage } from './pages/ProfilesPage';
import { SessionsPage } from './pages/SessionsPage';

export function App() {
  const path = usePath();
  const status = useFleetStatus();
  const tokenVersion = useTokenVersion();
  const qc = useQueryClient();
  useEffect(() => {
    if (tokenVersion > 0) void qc.invalidateQueries();
  }, [tokenVersion, qc]);

  if (isUnauthorized(status.error)) return <TokenPrompt product="Outpost device" />;
  const s = status.data;
  return (
    <>
      <header className="topbar">
        <div className="brand">
          Outpost<small>device</small>
        </div>
        <nav>
          <NavLink to="/" current={path}>
            Overview
          </NavLink>
          <NavLink to="/sessions" current={path}>
            Sessions
          </NavLink>
          <NavLink to="/profiles" current={path}>
            Profiles
          </NavLink>
          <NavLink to="/payload" current={path}>
            Payload
          </NavLink>
        </nav>
        <div className="spacer" />
        <div className="meta" data-testid="topbar-meta">
          {s ? `${s.device.name} · v${s.appliance.version}` : 'connecting…'}
        </div>
      </header>
      <main>
        {path.startsWith('/sessions') ? (
          <SessionsPage />
        ) : path.startsWith('/profiles') ? (
          <ProfilesPage />
        ) : path.startsWith('/payload') ? (
          <PayloadPage />
        ) : (
          <OverviewPage status={status} />
        )}
      </main>
    </>
  );
}
