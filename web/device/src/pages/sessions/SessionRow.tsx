import { copyText } from '@common/clipboard';
import { ArtifactButtons, RecordingBadge, type ArtifactTarget } from '@common/SessionArtifacts';
import { Badge } from '@common/ui';
import { useState } from 'react';
import { sessionPath, type SessionView } from '../../api';
import { STATUS_TONE, expiresIn, kindLabel, playwrightSnippet, sessionAge, shortId } from '@common/session-model';

export interface RowActions {
  onLiveView: (id: string) => void;
  onTouch: (id: string) => void;
  onEnd: (id: string) => void;
  /** Open the session's recording, downloads or logs. */
  onArtifacts: (t: ArtifactTarget) => void;
  /** Id of the session an action is running for, if any. */
  busyId: string | null;
}

function CopyButton({ text }: { text: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = async () => {
    setState((await copyText(text)) ? 'copied' : 'failed');
    window.setTimeout(() => setState('idle'), 1500);
  };
  return (
    <button type="button" className="btn small" onClick={() => void copy()} title={text}>
      {state === 'copied' ? 'Copied' : state === 'failed' ? 'Copy failed' : 'Copy'}
    </button>
  );
}

export function SessionRow({ session: s, now, actions }: { session: SessionView; now: number; actions: RowActions }) {
  const snippet = playwrightSnippet(s.ws_endpoint);
  const busy = actions.busyId === s.id;
  const ended = s.status === 'closed' || s.status === 'closing';
  return (
    <tr data-testid={`session-row-${s.id}`}>
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
      <td>{sessionAge(s, now)}</td>
      <td>{expiresIn(s, now)}</td>
      <td>{s.connections}</td>
      <td>
        <RecordingBadge recording={s.recording} testId={`session-recording-${s.id}`} />
      </td>
      <td>
        <div className="snippet-cell">
          <code className="snippet" title={snippet}>
            {snippet}
          </code>
          <CopyButton text={snippet} />
        </div>
      </td>
      <td className="row-actions">
        {s.vnc ? (
          <button type="button" className="btn small" onClick={() => actions.onLiveView(s.id)}>
            Live view
          </button>
        ) : null}
        <ArtifactButtons recording={s.recording} onOpen={(view) => actions.onArtifacts({ path: sessionPath(s.id), id: s.id, recording: s.recording, view })} testId={`session-${s.id}`} />
        <button type="button" className="btn small" disabled={busy || ended} onClick={() => actions.onTouch(s.id)}>
          Touch
        </button>
        <button type="button" className="btn small danger" disabled={busy || ended} onClick={() => actions.onEnd(s.id)}>
          End
        </button>
      </td>
    </tr>
  );
}
