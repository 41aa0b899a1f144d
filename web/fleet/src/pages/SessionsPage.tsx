import { ErrorNote } from '@common/ui';
import { useFleetSessions } from '../api';
import { FleetCreateSessionForm } from './sessions/FleetCreateSessionForm';
import { FleetSessionsTable } from './sessions/FleetSessionsTable';

export function SessionsPage() {
  const sessions = useFleetSessions();
  const data = sessions.data;
  return (
    <>
      <div className="page-title">
        <h1>Sessions</h1>
        {data ? <span className="muted">{data.sessions.length} across the fleet</span> : null}
      </div>
      <ErrorNote error={sessions.error} />
      <div className="sessions-layout">
        <FleetCreateSessionForm />
        {data ? (
          <>
            {data.errors.length > 0 ? (
              <div className="error-note" role="alert" data-testid="fleet-sessions-errors">
                {data.errors.length} device{data.errors.length === 1 ? '' : 's'} did not list {data.errors.length === 1 ? 'its' : 'their'} sessions:{' '}
                {data.errors.map((e) => `${e.device} (${e.message})`).join('; ')}
              </div>
            ) : null}
            <FleetSessionsTable sessions={data.sessions} />
          </>
        ) : sessions.error ? null : (
          <p className="muted">Loading…</p>
        )}
      </div>
    </>
  );
}
