import type { ArtifactTarget } from '@common/SessionArtifacts';
import { Card, ErrorNote } from '@common/ui';
import type { SessionView } from '../../api';
import { useEndSession, useTouchSession } from '../../api';
import { SessionRow } from './SessionRow';

export function SessionsTable(props: { sessions: SessionView[]; now: number; onLiveView: (id: string) => void; onArtifacts: (t: ArtifactTarget) => void }) {
  const touch = useTouchSession();
  const end = useEndSession();
  const busyId = touch.isPending ? touch.variables : end.isPending ? end.variables : null;
  const actions = {
    onLiveView: props.onLiveView,
    onTouch: (id: string) => touch.mutate(id),
    onEnd: (id: string) => end.mutate(id),
    onArtifacts: props.onArtifacts,
    busyId: busyId ?? null,
  };
  return (
    <Card title={`Sessions (${props.sessions.length})`} wide>
      <ErrorNote error={touch.error ?? end.error} />
      {props.sessions.length === 0 ? (
        <p className="muted" data-testid="sessions-empty">
          No sessions. Create one above, or connect a Playwright client.
        </p>
      ) : null}
      <div className="table-scroll">
        <table className="list" data-testid="sessions-table">
          <thead>
            <tr>
              <th>Id</th>
              <th>Kind</th>
              <th>Client</th>
              <th>Status</th>
              <th>Size</th>
              <th>Age</th>
              <th>Expires in</th>
              <th>Conns</th>
              <th>Recording</th>
              <th>Playwright</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {props.sessions.map((s) => (
              <SessionRow key={s.id} session={s} now={props.now} actions={actions} />
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}
