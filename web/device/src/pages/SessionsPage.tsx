import { useNow } from '@common/hooks';
import { EndedSessionsCard, SessionArtifactsModal, type ArtifactTarget } from '@common/SessionArtifacts';
import { ErrorNote } from '@common/ui';
import { useCallback, useState } from 'react';
import { sessionPath, useEndedSessions, useSessions } from '../api';
import { CreateSessionForm } from './sessions/CreateSessionForm';
import { LiveViewPanel } from './sessions/LiveViewPanel';
import { PoolCard } from './sessions/PoolCard';
import { SessionsTable } from './sessions/SessionsTable';

export function SessionsPage() {
  const sessions = useSessions();
  const now = useNow(1000);
  const [liveId, setLiveId] = useState<string | null>(null);
  const closeLive = useCallback(() => setLiveId(null), []);
  const ended = useEndedSessions();
  const [artifacts, setArtifacts] = useState<ArtifactTarget | null>(null);
  const closeArtifacts = useCallback(() => setArtifacts(null), []);
  const data = sessions.data;
  const live = liveId ? data?.sessions.find((s) => s.id === liveId) : undefined;

  return (
    <>
      <div className="page-title">
        <h1>Sessions</h1>
        {data ? (
          <span className="muted">
            {data.capacity.active} / {data.capacity.max_sessions} active
          </span>
        ) : null}
      </div>
      <ErrorNote error={sessions.error} />
      {data ? (
        <div className="sessions-layout">
          <div className="sessions-top">
            <PoolCard pool={data.pool} capacity={data.capacity} />
            <CreateSessionForm />
          </div>
          <SessionsTable sessions={data.sessions} now={now} onLiveView={setLiveId} onArtifacts={setArtifacts} />
          <EndedSessionsCard
            rows={ended.data?.ended}
            error={ended.error}
            showDevice={false}
            now={now}
            onOpen={(r, view) => setArtifacts({ path: sessionPath(r.id), id: r.id, recording: r.recording, view })}
          />
        </div>
      ) : sessions.error ? null : (
        <p className="muted">Loading…</p>
      )}
      {live ? <LiveViewPanel session={live} onClose={closeLive} /> : null}
      {artifacts ? <SessionArtifactsModal target={artifacts} onView={(view) => setArtifacts({ ...artifacts, view })} onClose={closeArtifacts} /> : null}
    </>
  );
}
