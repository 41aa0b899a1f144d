import { useNow } from '@common/hooks';
import { EndedSessionsCard, SessionArtifactsModal, type ArtifactTarget } from '@common/SessionArtifacts';
import { ErrorNote } from '@common/ui';
import { useCallback, useState } from 'react';
import { useEndedFleetSessions, useFleetSessions } from '../api';
import { fleetSessionPath } from '../session-model';
import { FleetCreateSessionForm } from './sessions/FleetCreateSessionForm';
import { FleetSessionsTable } from './sessions/FleetSessionsTable';

function DeviceErrors({ errors, what, testId }: { errors: Array<{ device: string; message: string }>; what: string; testId: string }) {
  if (errors.length === 0) return null;
  return (
    <div className="error-note" role="alert" data-testid={testId}>
      {errors.length} device{errors.length === 1 ? '' : 's'} did not list {errors.length === 1 ? 'its' : 'their'} {what}: {errors.map((e) => `${e.device} (${e.message})`).join('; ')}
    </div>
  );
}

/**
 * Ended sessions: every online device is asked for them (busy or not), so the list is fetched
 * only once opened, and then less often than the live one.
 */
function EndedSessions({ onArtifacts }: { onArtifacts: (t: ArtifactTarget) => void }) {
  const [shown, setShown] = useState(false);
  const ended = useEndedFleetSessions(shown);
  const now = useNow(5000);
  const toggle = (
    <button type="button" className="btn small" onClick={() => setShown((v) => !v)} data-testid="ended-sessions-toggle">
      {shown ? 'Hide' : 'Show'}
    </button>
  );
  return (
    <EndedSessionsCard
      rows={shown ? ended.data?.ended : undefined}
      error={shown ? ended.error : null}
      showDevice
      now={now}
      actions={toggle}
      onOpen={(r, view) => onArtifacts({ path: fleetSessionPath({ device: r.device!, id: r.id }), id: r.id, device: r.device, recording: r.recording, view })}
    >
      {!shown ? <p className="muted">Sessions that ended on any online device, with their recordings, downloads and logs, for as long as the device keeps them.</p> : null}
      {shown && ended.data ? <DeviceErrors errors={ended.data.errors} what="ended sessions" testId="ended-sessions-errors" /> : null}
      {shown && !ended.data && !ended.error ? <p className="muted">Asking the devices…</p> : null}
    </EndedSessionsCard>
  );
}

export function SessionsPage() {
  const sessions = useFleetSessions();
  const data = sessions.data;
  const [artifacts, setArtifacts] = useState<ArtifactTarget | null>(null);
  const closeArtifacts = useCallback(() => setArtifacts(null), []);
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
            <DeviceErrors errors={data.errors} what="sessions" testId="fleet-sessions-errors" />
            <FleetSessionsTable sessions={data.sessions} onArtifacts={setArtifacts} />
          </>
        ) : sessions.error ? null : (
          <p className="muted">Loading…</p>
        )}
        <EndedSessions onArtifacts={setArtifacts} />
      </div>
      {artifacts ? <SessionArtifactsModal target={artifacts} onView={(view) => setArtifacts({ ...artifacts, view })} onClose={closeArtifacts} /> : null}
    </>
  );
}
