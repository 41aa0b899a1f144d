// What a session leaves behind, in both UIs: its recording's status, the buttons that open its
// artifacts, a modal with the recording player, the downloads and the logs, and the list of ended
// sessions. The data comes from a session's API path (artifact-queries.ts), the appliance's or the
// monitor's relay.
import { useEffect, type ReactNode } from 'react';
import type { ArtifactRecord, DownloadView, RecordingView, SessionLogs } from '../../device/src/shared/index';
import { mediaUrl } from './api';
import { artifactPaths, endReasonLabel, logTone, recordingSummary, type ArtifactView } from './artifact-model';
import { useSaveDownload, useSessionDownloads, useSessionLogs } from './artifact-queries';
import { ago, bytes } from './format';
import { kindLabel, shortId } from './session-model';
import { Badge, Card, ErrorNote } from './ui';

export function RecordingBadge({ recording, testId }: { recording: RecordingView | null | undefined; testId?: string }) {
  if (!recording) return <span className="muted">—</span>;
  const s = recordingSummary(recording);
  return (
    <span title={s.detail ?? undefined}>
      <Badge tone={s.tone} testId={testId}>
        {s.label}
      </Badge>
    </span>
  );
}

/** Recording (when there is one), Downloads and Logs: each opens the artifacts modal there. */
export function ArtifactButtons({ recording, onOpen, testId }: { recording: RecordingView | null | undefined; onOpen: (view: ArtifactView) => void; testId: string }) {
  return (
    <>
      {recording ? (
        <button type="button" className="btn small" onClick={() => onOpen('recording')} data-testid={`${testId}-recording`}>
          Recording
        </button>
      ) : null}
      <button type="button" className="btn small" onClick={() => onOpen('downloads')} data-testid={`${testId}-downloads`}>
        Downloads
      </button>
      <button type="button" className="btn small" onClick={() => onOpen('logs')} data-testid={`${testId}-logs`}>
        Logs
      </button>
    </>
  );
}

/** Which session's artifacts are open, and where. */
export interface ArtifactTarget {
  /** The session's API path: `/api/sessions/<id>` on the appliance, `/api/sessions/<device>/<id>` on the monitor. */
  path: string;
  id: string;
  /** Where it ran, on the monitor. */
  device?: string;
  recording: RecordingView | null | undefined;
  view: ArtifactView;
}

function RecordingPanel({ path, recording }: { path: string; recording: RecordingView | null | undefined }) {
  if (!recording) return <p className="muted">This session was not recorded (create it with “Record”, a VNC session).</p>;
  return (
    <>
      {recording.status === 'recording' ? <p className="muted">Still recording: the player has what was recorded when it opened; open it again for more.</p> : null}
      {recording.status === 'failed' ? <ErrorNote error={new Error(`The recording failed: ${recording.error ?? 'no reason given'}`)} /> : null}
      {/* A <video> cannot send the token as a header: mediaUrl() puts it in the query, which the recording routes alone accept. */}
      <video className="recording-video" controls preload="auto" src={mediaUrl(artifactPaths(path).recording)} data-testid="recording-video" />
    </>
  );
}

function DownloadsPanel({ path }: { path: string }) {
  const list = useSessionDownloads(path);
  const save = useSaveDownload(path);
  const downloads: DownloadView[] = list.data?.downloads ?? [];
  return (
    <>
      <ErrorNote error={list.error ?? save.error} />
      {list.data && downloads.length === 0 ? <p className="muted">Nothing was downloaded in this session.</p> : null}
      {downloads.length > 0 ? (
        <table className="list" data-testid="downloads-table">
          <thead>
            <tr>
              <th>Name</th>
              <th>Size</th>
              <th>Saved</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {downloads.map((d) => (
              <tr key={d.name}>
                <td className="mono">{d.name}</td>
                <td>{bytes(d.size_bytes)}</td>
                <td title={new Date(d.modified_at).toLocaleString()}>{ago(d.modified_at)}</td>
                <td className="row-actions">
                  <button type="button" className="btn small" disabled={save.isPending && save.variables === d.name} onClick={() => save.mutate(d.name)} data-testid={`download-${d.name}`}>
                    Download
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}

export function LogsTable({ logs }: { logs: SessionLogs }) {
  return (
    <>
      {logs.dropped > 0 ? <p className="muted">{logs.dropped} older entries were dropped.</p> : null}
      {logs.entries.length === 0 ? <p className="muted">No log entries.</p> : null}
      {logs.entries.length > 0 ? (
        <table className="list log-table" data-testid="logs-table">
          <thead>
            <tr>
              <th>Time</th>
              <th>Kind</th>
              <th>Level</th>
              <th>Message</th>
            </tr>
          </thead>
          <tbody>
            {logs.entries.map((e, i) => (
              <tr key={i}>
                <td className="mono nowrap" title={e.at}>
                  {new Date(e.at).toLocaleTimeString()}
                </td>
                <td>{e.kind.replace(/_/g, ' ')}</td>
                <td>
                  <Badge tone={logTone(e.level)}>{e.level}</Badge>
                </td>
                <td>
                  <div className="log-message">{e.message}</div>
                  {e.url ? <div className="log-url">{e.url}</div> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </>
  );
}

function LogsPanel({ path }: { path: string }) {
  const logs = useSessionLogs(path);
  return (
    <>
      <ErrorNote error={logs.error} />
      {logs.data ? <LogsTable logs={logs.data} /> : logs.error ? null : <p className="muted">Loading…</p>}
    </>
  );
}

const VIEWS: ArtifactView[] = ['recording', 'downloads', 'logs'];

/** A modal with one session's recording, downloads or logs; Escape or the backdrop closes it. */
export function SessionArtifactsModal({ target, onView, onClose }: { target: ArtifactTarget; onView: (view: ArtifactView) => void; onClose: () => void }) {
  useEffect(() => {
    const onKey = (ev: KeyboardEvent) => {
      if (ev.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  const { path, view } = target;
  let body: ReactNode;
  if (view === 'recording') body = <RecordingPanel path={path} recording={target.recording} />;
  else if (view === 'downloads') body = <DownloadsPanel path={path} />;
  else body = <LogsPanel path={path} />;
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div className="modal artifacts" role="dialog" aria-modal="true" aria-label={`Artifacts of session ${target.id}`} data-testid="session-artifacts" onClick={(ev) => ev.stopPropagation()}>
        <header className="modal-head">
          <h2>
            Session <span className="mono muted">{shortId(target.id)}</span>
            {target.device ? <span className="muted"> on {target.device}</span> : null}
          </h2>
          <div className="tabs" role="tablist">
            {VIEWS.map((v) => (
              <button key={v} type="button" role="tab" aria-selected={view === v} className={view === v ? 'tab active' : 'tab'} onClick={() => onView(v)} data-testid={`artifacts-tab-${v}`}>
                {v}
              </button>
            ))}
          </div>
          <div className="spacer" />
          <button type="button" className="btn small" onClick={onClose}>
            Close
          </button>
        </header>
        <div className="modal-body">{body}</div>
      </div>
    </div>
  );
}

/** An ended session as listed: the appliance's record, with its device on the monitor. */
export type EndedRow = ArtifactRecord & { device?: string };

/** The ended sessions whose artifacts are kept, newest end first, each with its artifact buttons. */
export function EndedSessionsTable({ rows, showDevice, onOpen, now }: { rows: EndedRow[]; showDevice: boolean; onOpen: (row: EndedRow, view: ArtifactView) => void; now: number }) {
  if (rows.length === 0) return <p className="muted">No ended sessions with kept artifacts.</p>;
  return (
    <div className="table-scroll">
      <table className="list" data-testid="ended-sessions-table">
        <thead>
          <tr>
            {showDevice ? <th>Device</th> : null}
            <th>Id</th>
            <th>Kind</th>
            <th>Client</th>
            <th>Ended</th>
            <th>Why</th>
            <th>Recording</th>
            <th>Downloads</th>
            <th>Size</th>
            <th>Artifacts</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const key = `${r.device ?? ''}/${r.id}`;
            const testId = `ended-${r.device ? `${r.device}-` : ''}${r.id}`;
            return (
              <tr key={key} data-testid={`${testId}-row`}>
                {showDevice ? <td>{r.device}</td> : null}
                <td className="mono" title={r.id}>
                  {shortId(r.id)}
                </td>
                <td>{kindLabel(r)}</td>
                <td>{r.client_id ?? '—'}</td>
                <td className="nowrap" title={r.ended_at ? new Date(r.ended_at).toLocaleString() : undefined}>
                  {ago(r.ended_at, now)}
                </td>
                <td>{endReasonLabel(r.end_reason)}</td>
                <td>
                  <RecordingBadge recording={r.recording} />
                </td>
                <td>{r.downloads}</td>
                <td>{bytes(r.size_bytes)}</td>
                <td className="row-actions">
                  <ArtifactButtons recording={r.recording} onOpen={(view) => onOpen(r, view)} testId={testId} />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** The "Ended sessions" card: the table, or what is loading or wrong. */
export function EndedSessionsCard(props: { rows: EndedRow[] | undefined; error: unknown; showDevice: boolean; onOpen: (row: EndedRow, view: ArtifactView) => void; now: number; actions?: ReactNode; children?: ReactNode }) {
  return (
    <Card title={`Ended sessions${props.rows ? ` (${props.rows.length})` : ''}`} actions={props.actions} wide testId="ended-sessions">
      <ErrorNote error={props.error} />
      {props.children}
      {props.rows ? <EndedSessionsTable rows={props.rows} showDevice={props.showDevice} onOpen={props.onOpen} now={props.now} /> : null}
    </Card>
  );
}
