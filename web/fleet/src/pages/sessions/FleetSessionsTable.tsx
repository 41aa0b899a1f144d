import { copyText } from '@common/clipboard';
import { useNow } from '@common/hooks';
import { AppLink } from '@common/link';
import { Badge, Card, ErrorNote } from '@common/ui';
import { ArtifactButtons, RecordingBadge, type ArtifactTarget } from '@common/SessionArtifacts';
import { useState } from 'react';
import { STATUS_TONE, expiresIn, kindLabel, sessionAge, shortId } from '@common/session-model';
import { useDeleteFleetSession, type FleetSession } from '../../api';
import { deviceHref } from '../../device-model';
import { fleetSessionPath, sessionKey } from '../../session-model';

function CopyWs({ url }: { url: string }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = async () => {
    setCopied(await copyText(url));
    window.setTimeout(() => setCopied(null), 1500);
  };
  return (
    <button type="button" className="btn small" title={`Playwright: chromium.connect('${url}')`} onClick={() => void copy()}>
      {copied === null ? 'Copy WS' : copied ? 'Copied' : 'Copy failed'}
    </button>
  );
}

function SessionRow({ session: s, now, busy, onDelete, onArtifacts }: { session: FleetSession; now: number; busy: boolean; onDelete: () => void; onArtifacts: (t: ArtifactTarget) => void }) {
  const ended = s.status === 'closed' || s.status === 'closing';
  return (
    <tr data-testid={`fleet-session-row-${s.device}-${s.id}`}>
      <td>
        <AppLink to={deviceHref(s.device)}>{s.device}</AppLink>
      </td>
      <td className="mono" title={s.id}>
        {shortId(s.id)}
      </td>
      <td>{kindLabel(s)}</td>
      <td>{s.client_id ?? '—'}</td>
      <td>
        <Badge tone={STATUS_TONE[s.status] ?? 'muted'}>{s.status}</Badge>
      </td>
      <td className="mono">
        {s.width}×{s.height}
      </td>
      <td className="nowrap" title={new Date(s.created_at).toLocaleString()}>
        {sessionAge(s, now)} ago
      </td>
      <td className="nowrap" title={new Date(s.expires_at).toLocaleString()}>
        {expiresIn(s, now)}
      </td>
      <td>
        <RecordingBadge recording={s.recording} testId={`fleet-session-recording-${s.device}-${s.id}`} />
      </td>
      <td className="row-actions">
        {s.vnc ? (
          <a className="btn small" href={s.vnc.http} target="_blank" rel="noopener noreferrer" data-testid="fleet-session-live">
            Live view
          </a>
        ) : null}
        <ArtifactButtons
          recording={s.recording}
          onOpen={(view) => onArtifacts({ path: fleetSessionPath(s), id: s.id, device: s.device, recording: s.recording, view })}
          testId={`fleet-session-${s.device}-${s.id}`}
        />
        <CopyWs url={s.ws_endpoint} />
        <button type="button" className="btn small danger" disabled={busy || ended} onClick={onDelete}>
          Delete
        </button>
      </td>
    </tr>
  );
}

export function FleetSessionsTable({ sessions, onArtifacts }: { sessions: FleetSession[]; onArtifacts: (t: ArtifactTarget) => void }) {
  const del = useDeleteFleetSession();
  const now = useNow(1000);
  const busyKey = del.isPending && del.variables ? sessionKey(del.variables) : null;
  return (
    <Card title={`Sessions (${sessions.length})`} wide>
      <ErrorNote error={del.error} />
      {sessions.length === 0 ? <p className="muted">No sessions on any online device.</p> : null}
      <div className="table-scroll">
        <table className="list" data-testid="fleet-sessions-table">
          <thead>
            <tr>
              <th>Device</th>
              <th>Id</th>
              <th>Kind</th>
              <th>Client</th>
              <th>Status</th>
              <th>Size</th>
              <th>Created</th>
              <th>Expires in</th>
              <th>Recording</th>
              <th>Actions</th>
            </tr>
          </thead>
          <tbody>
            {sessions.map((s) => (
              <SessionRow key={sessionKey(s)} session={s} now={now} busy={busyKey === sessionKey(s)} onDelete={() => del.mutate({ device: s.device, id: s.id })} onArtifacts={onArtifacts} />
            ))}
          </tbody>
        </table>
      </div>
    </Card>
  );
}
