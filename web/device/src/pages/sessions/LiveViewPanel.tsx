import { useEffect } from 'react';
import type { SessionView } from '../../api';
import { shortId } from '@common/session-model';

/** A modal with the session's noVNC page (/vnc/?session=…#password=…) in an iframe. */
export function LiveViewPanel({ session, onClose }: { session: SessionView; onClose: () => void }) {
  useEffect(() => {
    const onKey = (ev: KeyboardEvent) => {
      if (ev.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);

  const url = session.vnc?.http;
  return (
    <div className="modal-backdrop" onClick={onClose}>
      <div className="modal live-view" role="dialog" aria-modal="true" aria-label={`Live view of session ${session.id}`} data-testid="live-view" onClick={(ev) => ev.stopPropagation()}>
        <header className="modal-head">
          <h2>
            Live view <span className="mono muted">{shortId(session.id)}</span>
          </h2>
          <span className="muted">
            {session.width}×{session.height}
            {session.client_id ? ` · ${session.client_id}` : ''}
          </span>
          <div className="spacer" />
          {url ? (
            <a className="btn small" href={url} target="_blank" rel="noopener noreferrer">
              Open in new tab
            </a>
          ) : null}
          <button type="button" className="btn small" onClick={onClose}>
            Close
          </button>
        </header>
        {url ? (
          <iframe className="live-view-frame" src={url} title={`Live view of session ${session.id}`} allow="fullscreen; clipboard-read; clipboard-write" data-testid="live-view-frame" />
        ) : (
          <p className="muted modal-body">This session has no live view (it was started without VNC).</p>
        )}
      </div>
    </div>
  );
}
