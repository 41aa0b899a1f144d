import { ago, bytes } from '@common/format';
import { shortId } from '@common/session-model';
import { Badge, Card, ErrorNote } from '@common/ui';
import { useDeleteProfile, useExportProfile, type ProfileView } from '../../api';
import { AppLink } from '../../AppLink';
import { deleteProfileQuestion } from '../../profile-model';

interface RowActions {
  onExport: (name: string) => void;
  onDelete: (name: string) => void;
  /** Name of the profile an action is running for, if any. */
  busyName: string | null;
}

function ProfileRow({ profile: p, now, actions }: { profile: ProfileView; now: number; actions: RowActions }) {
  const busy = actions.busyName === p.name;
  return (
    <tr data-testid={`profile-row-${p.name}`}>
      <td className="mono">{p.name}</td>
      <td data-testid={`profile-size-${p.name}`} title={`${p.size_bytes} bytes`}>
        {bytes(p.size_bytes)}
      </td>
      <td title={new Date(p.modified_at).toLocaleString()}>{ago(p.modified_at, now)}</td>
      <td data-testid={`profile-session-${p.name}`}>
        {p.session ? (
          // The device UI has no page per session; the Sessions page lists it.
          <>
            <Badge tone="info">in use</Badge>{' '}
            <AppLink to="/sessions" className="mono">
              {shortId(p.session)}
            </AppLink>
          </>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      {/* Not disabled while in use: the list is polled and may be stale, and the server's 409 says what to do. */}
      <td className="row-actions">
        <button type="button" className="btn small" disabled={busy} onClick={() => actions.onExport(p.name)} data-testid={`profile-export-${p.name}`}>
          Export
        </button>
        <button type="button" className="btn small danger" disabled={busy} onClick={() => actions.onDelete(p.name)} data-testid={`profile-delete-${p.name}`}>
          Delete
        </button>
      </td>
    </tr>
  );
}

export function ProfilesTable(props: { profiles: ProfileView[]; now: number }) {
  const exp = useExportProfile();
  const del = useDeleteProfile();
  const busyName = exp.isPending ? exp.variables : del.isPending ? del.variables : null;
  const actions: RowActions = {
    onExport: (name) => {
      del.reset();
      exp.mutate(name);
    },
    onDelete: (name) => {
      exp.reset();
      if (window.confirm(deleteProfileQuestion(name))) del.mutate(name);
    },
    busyName: busyName ?? null,
  };
  return (
    <Card title={`Profiles (${props.profiles.length})`} wide>
      <ErrorNote error={exp.error ?? del.error} />
      {props.profiles.length === 0 ? (
        <p className="muted" data-testid="profiles-empty">
          No profiles. A session created with a profile name keeps its browser data here.
        </p>
      ) : (
        <div className="table-scroll">
          <table className="list" data-testid="profiles-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Size</th>
                <th>Modified</th>
                <th>Session</th>
                <th>Actions</th>
              </tr>
            </thead>
            <tbody>
              {props.profiles.map((p) => (
                <ProfileRow key={p.name} profile={p} now={props.now} actions={actions} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
